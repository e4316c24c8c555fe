/**
 * Electron main entry (out/main/index.js). ELECTRON_RENDERER_URL is set by `electron-vite dev`.
 */
import { runApp } from './appMain.ts';

void runApp({ mainDir: import.meta.dirname, ...(process.env['ELECTRON_RENDERER_URL'] ? { devUrl: process.env['ELECTRON_RENDERER_URL'] } : {}) });
