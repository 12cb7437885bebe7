export * from './sts-endpoint.js';
