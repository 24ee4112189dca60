// Registers the parts of the emulator that plug into the site (extensions and
// control API routes). Imported once by the entry points.
export {};
