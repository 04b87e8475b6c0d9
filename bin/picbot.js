#!/usr/bin/env node
'use strict';
require('../dist/bot/cli.js');
