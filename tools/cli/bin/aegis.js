#!/usr/bin/env node
// Aegis packages ship TypeScript sources run through tsx (no build step): register tsx's
// loader in this process, then start the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
