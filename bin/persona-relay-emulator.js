#!/usr/bin/env node
// Thin launcher: the emulator is compiled to dist/ by `npm ci` (the `prepare` script); the ES module build runs it.
import '../dist/esm/emulator/cli.js';
