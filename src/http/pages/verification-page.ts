// The page an e-mailed verification link opens. GET and HEAD only render a button (mail
// scanners open links; nothing may change on a GET); the button is a plain form POST, with no
// script at all, and only that POST answers the challenge's mail_link method.
import { escapeHtml } from '../../lib/html.ts';
import { accountPageDocument, accountPageHeaders, pageStyle } from './account-page.ts';

export type VerificationPageState =
  | { kind: 'confirm'; user: string; challenge: string; secret: string }
  | { kind: 'incomplete' }
  | { kind: 'verified' }
  | { kind: 'method_done' }
  | { kind: 'already' }
  | { kind: 'failed' };

const STYLE = pageStyle(`
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
main { max-width: 28rem; margin: 12vh auto; background: #fff; padding: 2rem 2.25rem; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
p { margin: 0 0 1.25rem; }
button { font: inherit; font-weight: 600; color: #fff; background: #2456d6; border: 0; border-radius: 8px; padding: .7rem 1.4rem; cursor: pointer; }
button:focus-visible { outline: 3px solid #9bb7ff; outline-offset: 2px; }
.ok { color: #146c2e; } .bad { color: #a01d1d; }
`);

/** No script, no resource but the one inline style; the form may post only to this origin. */
export const VERIFICATION_PAGE_HEADERS = accountPageHeaders(STYLE);

function content(state: VerificationPageState): { title: string; body: string } {
  switch (state.kind) {
    case 'confirm':
      return {
        title: 'Confirm your account',
        body: `<p>Press the button to confirm the e-mail address of your account.</p>
<form method="post" action="/api/v1/verify-account">
<input type="hidden" name="user" value="${escapeHtml(state.user)}">
<input type="hidden" name="challenge" value="${escapeHtml(state.challenge)}">
<input type="hidden" name="secret" value="${escapeHtml(state.secret)}">
<button type="submit">Confirm my account</button>
</form>`,
      };
    case 'incomplete':
      return { title: 'This link is incomplete', body: '<p class="bad">Open the whole link from the e-mail, or ask for a new message.</p>' };
    case 'verified':
      return { title: 'Account confirmed', body: '<p class="ok">Your account is confirmed. You can close this page and sign in.</p>' };
    case 'method_done':
      return { title: 'E-mail confirmed', body: '<p class="ok">Your e-mail address is confirmed. Finish the other verification step you were sent (the code) to activate the account.</p>' };
    case 'already':
      return { title: 'Already confirmed', body: '<p class="ok">This link was already used; your e-mail address is confirmed.</p>' };
    case 'failed':
      return { title: 'This link does not work', body: '<p class="bad">The link is invalid, has expired or was replaced by a newer message. Ask for a new message and use the newest link.</p>' };
  }
}

export function renderVerificationPage(state: VerificationPageState): string {
  const { title, body } = content(state);
  return accountPageDocument(STYLE, title, `<h1>${title}</h1>\n${body}`);
}
