/** The delivery layer's public surface: what the factors and the CLI import. */
export * from './config.js';
export * from './codes.js';
export * from './phone.js';
export * from './locale.js';
export * from './messages.js';
export * from './send-limits.js';
export * from './templates.js';
export * from './mailer.js';
export * from './providers/index.js';
