// nodemailer ships no types for its address parser (used here for ENVELOPE).
declare module 'nodemailer/lib/addressparser' {
  interface ParsedAddress { name?: string; address?: string; group?: ParsedAddress[] }
  export default function addressparser(value: string, options?: { flatten?: boolean }): ParsedAddress[];
}
