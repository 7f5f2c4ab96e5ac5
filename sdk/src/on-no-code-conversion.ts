import type { ConversionInput } from './tracker';

/**
 * No-code conversions: `<button data-pp-conversion="signup">` counts on click, `<form
 * data-pp-conversion="lead">` on submit (a click inside such a form does not count), with
 * `data-pp-value` and `data-pp-currency`. One listener per event type on the document, in the capture
 * phase, so elements added later count too and a page's own handlers cannot stop it.
 */
export function onNoCodeConversion(d: Document, report: (x: ConversionInput) => void): void {
  const onAction = (ev: Event) => {
    const el = (ev.target as Element).closest?.<HTMLElement>('[data-pp-conversion]');
    if (el && (el.tagName == 'FORM') == (ev.type == 'submit')) {
      const a = el.dataset;
      report({ action: a.ppConversion, value: a.ppValue, currency: a.ppCurrency });
    }
  };
  d.addEventListener('click', onAction, true);
  d.addEventListener('submit', onAction, true);
}
