#!/usr/bin/env node
'use strict';
require('../dist/runner/main.js');
