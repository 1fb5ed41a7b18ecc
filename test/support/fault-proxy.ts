// The fault proxy lives with the tools (npm run docs:screenshots slows the worker's database link with it too).
export * from '../../tools/shared/fault-proxy';
