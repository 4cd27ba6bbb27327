// Loads the wasm app. External (no inline script), so the CSP needs no 'unsafe-inline';
// absolute /app/ paths, so deep links such as /app/tickets/ACME-12 load the same files.
import init from '/app/frontend.js';
init({ module_or_path: '/app/frontend_bg.wasm' });
