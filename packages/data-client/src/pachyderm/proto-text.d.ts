// .proto files are bundled as text (tsup and vitest load them with a text loader), so the built
// package needs no files beside its JavaScript.
declare module '*.proto' {
  const text: string;
  export default text;
}
