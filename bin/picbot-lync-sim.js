#!/usr/bin/env node
'use strict';
require('../dist/lync-sim/main.js');
