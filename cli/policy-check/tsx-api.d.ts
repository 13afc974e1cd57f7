// tsx ships these types under its package "exports" (dist/cjs/api/index.d.cts), which the project's
// `moduleResolution: node` does not read (NOTES: `nodenext` breaks dynamic imports under jest).
declare module "tsx/cjs/api" {
  /** Registers tsx's CommonJS require hook (.ts files load from source); returns the function that removes it. */
  export function register(): () => void;
}
