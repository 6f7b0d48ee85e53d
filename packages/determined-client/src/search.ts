// The searchers live in ./searchers/; this path stays for the modules that import it.
export * from './searchers/index.js';
