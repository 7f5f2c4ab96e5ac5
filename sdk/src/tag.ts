/**
 * The script tag, built to `sdk/dist/pp.js` (and, with the debug log and test mode, to
 * `sdk/dist/pp.debug.js`):
 *
 *     <script>window.pp=window.pp||function(){(pp.q=pp.q||[]).push(arguments)}</script>
 *     <script async src="https://collector.example/pp.js" data-site="SITE_ID"></script>
 *
 * It reads its options from its own `data-*` attributes, replays the calls queued by the stub, then
 * keeps `window.pp(command, …args)` working: `pp('conversion', {…})`, `pp('consent', {…})`,
 * `pp('click', token)`, `pp('pageview')`. Any script calling `pp()` starts with the stub's line too,
 * so the order of things on the page does not matter.
 */
import { startTag } from './start-tag';

startTag();
