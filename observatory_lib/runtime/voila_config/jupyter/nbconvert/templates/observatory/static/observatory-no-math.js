/*
 * No mathematics typesetter for the apps (they show no formulae).
 *
 * Voila 0.5's front end, left to itself, loads MathJax 3 (16 chunks, 0.9 MB of
 * JavaScript) and waits for it before it renders any output: about 0.4 s of browser CPU per
 * first visit, for pages with no mathematics in them. When `Voila.mathjax_url` is set (see
 * voila.json), it uses JupyterLab's MathJax 2 typesetter instead, which loads the script at
 * that URL without making the page wait, then calls MathJax.Hub.Config, .Register.StartupHook,
 * .Configured and .Queue. This script is that URL: it answers those calls and typesets
 * nothing, so text such as "$5 and $6" stays as written. An app that needs formulae must
 * drop `mathjax_url` and `mathjax_config` from voila.json (tests/unit/test_serve.py checks
 * that no app notebook holds any).
 */
(function () {
  'use strict';
  if (window.MathJax) {
    return;
  }
  function nothing() {}
  window.MathJax = {
    Hub: {
      Config: nothing,
      Configured: nothing,
      Queue: nothing,
      Register: { StartupHook: nothing }
    },
    Ajax: {},
    InputJax: { TeX: { resetEquationNumbers: nothing } }
  };
})();
