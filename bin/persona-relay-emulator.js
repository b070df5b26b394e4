#!/usr/bin/env node
// Thin launcher: the emulator is compiled to dist/ by `npm ci` (the `prepare` script).
import '../dist/emulator/cli.js';
