// user.resetpassword (the request, answered before any lookup) and the reset page it links to
// (GET shows the form and changes nothing; POST sets the password, then forwards or shows).
import { checkRedirectUrl, outcomeUrl, type ResetFailure } from '../../domain/accounts/password-reset-links.ts';
import { Errors } from '../../errors/registry.ts';
import { formPage, passwordProblem, resultPage, type Page } from '../pages/reset-page.ts';
import type { HandlerResult, OperationHandler, RequestScope } from '../types.ts';

/** The seed's answer, the same for every e-mail. */
export const RESET_MESSAGE = 'Password reset initiated. E-mail sent to the user.' as const;

export const requestPasswordReset: OperationHandler<'requestPasswordReset'> = async ({ body }, scope) => {
  const { tenant, services } = scope;
  // The tenant's switch is checked after the caller's permission (the pipeline) and before the
  // URL, so a tenant that turned the feature off answers the same whatever is sent.
  if (!tenant.settings.allowApiPasswordReset) throw Errors.passwordResetDisabled();
  const redirectUrl = body.redirect_url === undefined ? null : checkRedirectUrl(body.redirect_url, tenant.settings.passwordReset.allowedRedirectOrigins);
  services.passwordReset.request({ tenant, email: body.user_id, redirectUrl, ip: scope.ip, requestId: scope.requestId });
  return { status: 200, body: { message: RESET_MESSAGE } };
};

type PageResult = HandlerResult<'getPasswordResetPage'> & HandlerResult<'completePasswordReset'>;

function html(page: Page): PageResult {
  return { status: 200, body: page.html, contentType: 'text/html; charset=utf-8', headers: page.headers };
}

/** Forwarded with the outcome when the link carried an authenticated redirect; else the page says it. */
function finish(scope: RequestScope, outcome: 'success' | ResetFailure, redirectUrl: string | null): PageResult {
  if (redirectUrl) {
    return { status: 303, body: undefined, headers: { Location: outcomeUrl(redirectUrl, outcome), 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } };
  }
  return html(resultPage({ tenantName: scope.tenant.name, outcome }));
}

function originOf(url: string | null): string | null {
  return url ? new URL(url).origin : null;
}

export const getPasswordResetPage: OperationHandler<'getPasswordResetPage'> = async ({ query }, scope) => {
  const view = await scope.services.passwordReset.inspect(scope.tenant, query.token, query.redirect);
  if (view.state !== 'usable') return finish(scope, view.state, view.redirectUrl);
  return html(formPage({ tenantName: scope.tenant.name, token: query.token!, sealedRedirect: query.redirect || null, forwardOrigin: originOf(view.redirectUrl) }));
};

export const completePasswordReset: OperationHandler<'completePasswordReset'> = async ({ body }, scope) => {
  const { services, tenant } = scope;
  const view = await services.passwordReset.inspect(tenant, body.token, body.redirect);
  if (view.state === 'usable') {
    // A mistake in the form is the user's to correct: shown again, the token untouched.
    const problem = passwordProblem(body.password, body.confirm);
    if (problem) {
      return html(formPage({ tenantName: tenant.name, token: body.token!, sealedRedirect: body.redirect || null, error: problem, forwardOrigin: originOf(view.redirectUrl) }));
    }
  }
  // Not usable: `complete` records why (and counts a wrong secret); usable: it sets the password.
  const done = await services.passwordReset.complete(tenant, body.token, body.redirect, view.state === 'usable' ? body.password! : null, scope.ip);
  return finish(scope, done.outcome, done.redirectUrl);
};
