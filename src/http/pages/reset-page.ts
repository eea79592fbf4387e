// The password-reset page: the form (new password, twice) and the result, as one small HTML
// document with no script. Every text from data is escaped; the Content-Security-Policy admits
// only the page's own inline style and forms posted to this origin (and, because browsers check
// a form's redirect against form-action too, the origin the flow forwards to).
import { escapeHtml } from '../../lib/html.ts';
import { accountPageDocument, accountPageHeaders, pageStyle } from './account-page.ts';
import type { ResetFailure } from '../../domain/accounts/password-reset-links.ts';

const STYLE = pageStyle(`
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  background: #eef1f5; color: #1d2430; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(420px, calc(100vw - 32px)); background: #fff; border-radius: 12px; padding: 32px;
  box-shadow: 0 2px 12px rgba(20, 30, 50, .12); }
h1 { font-size: 1.45rem; margin: 0 0 8px; }
p { margin: 0 0 16px; }
.who { color: #4a5568; }
label { display: block; font-weight: 600; margin: 16px 0 6px; }
input[type=password] { width: 100%; padding: 10px 12px; font-size: 1rem; border: 1px solid #a0aec0; border-radius: 8px; }
input[type=password]:focus { outline: 3px solid #90cdf4; border-color: #2b6cb0; }
.hint { font-size: .9rem; color: #4a5568; margin-top: 6px; }
button { margin-top: 24px; width: 100%; padding: 12px; font-size: 1rem; font-weight: 600; color: #fff;
  background: #2b6cb0; border: 0; border-radius: 8px; cursor: pointer; }
button:hover { background: #2c5282; }
.error { background: #fff5f5; border: 1px solid #feb2b2; color: #9b2c2c; padding: 10px 12px; border-radius: 8px; }
.ok { background: #f0fff4; border: 1px solid #9ae6b4; color: #22543d; padding: 10px 12px; border-radius: 8px; }
`);

/** What the page says when a link cannot be used, in the words of `reason`. */
export const FAILURE_TEXT: Record<ResetFailure, string> = {
  expired: 'This reset link has expired. Ask for a new one.',
  used: 'This reset link has already been used (or a newer one was). Ask for a new one if you still need it.',
  invalid: 'This reset link is not valid. Check that you opened the whole link from the mail, or ask for a new one.',
  too_many_attempts: 'This reset link has been locked after too many wrong attempts. Ask for a new one.',
};

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

export interface Page {
  html: string;
  headers: Record<string, string>;
}

/** The headers every answer of the page carries; `forwardOrigin`: where a form may be redirected. */
export function pageHeaders(forwardOrigin: string | null = null): Record<string, string> {
  // The origin comes from an authenticated, checked redirect; checked again here, where it
  // becomes part of a header's grammar.
  const safe = forwardOrigin !== null && /^https?:\/\/[A-Za-z0-9._\-[\]:]+$/.test(forwardOrigin);
  return accountPageHeaders(STYLE, safe ? [forwardOrigin] : []);
}

function document(title: string, body: string): string {
  return accountPageDocument(STYLE, title, body);
}

export function formPage(input: { tenantName: string; token: string; sealedRedirect: string | null; error?: string; forwardOrigin: string | null }): Page {
  const error = input.error ? `<p class="error" id="message" role="alert">${escapeHtml(input.error)}</p>` : '';
  const body = `<h1>Choose a new password</h1>
<p class="who">${escapeHtml(input.tenantName)}</p>
${error}<form method="post" action="reset-password">
<input type="hidden" name="token" value="${escapeHtml(input.token)}">
${input.sealedRedirect ? `<input type="hidden" name="redirect" value="${escapeHtml(input.sealedRedirect)}">\n` : ''}<label for="password">New password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_LENGTH}">
<p class="hint">At least ${MIN_PASSWORD_LENGTH} characters.</p>
<label for="confirm">Repeat the new password</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_LENGTH}">
<button type="submit" id="submit">Set the new password</button>
</form>`;
  return { html: document('Choose a new password', body), headers: pageHeaders(input.forwardOrigin) };
}

export function resultPage(input: { tenantName: string; outcome: 'success' | ResetFailure }): Page {
  const body =
    input.outcome === 'success'
      ? `<h1>Password changed</h1>
<p class="who">${escapeHtml(input.tenantName)}</p>
<p class="ok" id="message" role="status">Your new password is set. You can sign in with it now.</p>`
      : `<h1>The password was not changed</h1>
<p class="who">${escapeHtml(input.tenantName)}</p>
<p class="error" id="message" role="alert" data-reason="${input.outcome}">${escapeHtml(FAILURE_TEXT[input.outcome])}</p>`;
  return { html: document(input.outcome === 'success' ? 'Password changed' : 'Password not changed', body), headers: pageHeaders() };
}

/** Why the two fields cannot be the new password, or null when they can. */
export function passwordProblem(password: string | undefined, confirm: string | undefined): string | null {
  if (!password) return 'Enter the new password.';
  if ([...password].length < MIN_PASSWORD_LENGTH) return `The password must have at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `The password may have at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (password !== confirm) return 'The two passwords are not the same.';
  return null;
}
