// Stands in for sanitize-html in the bundle: the page's widget manager overrides
// inline_sanitize, the one caller, so this is never called.
export default function sanitize() {
  throw new Error('sanitize-html is not part of the observatory page script');
}
