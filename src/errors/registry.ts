// Every failure the API can answer with, grouped by the pipeline stage that raises it.
import { defineError } from './define-error.ts';

export const Errors = {
  // request: parsing and validation
  invalidJson: defineError('INVALID_JSON', 400, () => 'The request body is not valid JSON'),
  invalidBody: defineError<{ reason: string }>('INVALID_BODY', 400, (d) => `The request body could not be read: ${d.reason}`),
  // request: HTTP framing Node's parser refuses before Koa sees a request (server.ts clientError)
  malformedRequest: defineError('MALFORMED_REQUEST', 400, () => 'The request is not valid HTTP/1.1 (its framing, e.g. a Content-Length that disagrees with the bytes sent, could not be parsed)'),
  headersTooLarge: defineError('HEADERS_TOO_LARGE', 431, () => 'The request head (request line and headers) is too large'),
  requestTimeout: defineError('REQUEST_TIMEOUT', 408, () => 'The request was not received in time'),
  // request: Content-Encoding (http/request-body.ts)
  unsupportedContentEncoding: defineError<{ encoding: string }>('UNSUPPORTED_CONTENT_ENCODING', 400, (d) => `Content-Encoding "${d.encoding}" is not supported: send one of gzip, deflate, br or identity (multipart uploads: identity only)`),
  payloadTooLarge: defineError<{ limit: number }>('PAYLOAD_TOO_LARGE', 413, (d) => `The request body exceeds ${d.limit} bytes`),
  validationFailed: defineError('VALIDATION_FAILED', 400, () => 'The request is invalid'),
  invalidPath: defineError<{ segment: string }>('INVALID_PATH', 400, (d) => `Malformed path segment "${d.segment}"`),
  searchNotAllowed: defineError('SEARCH_NOT_ALLOWED', 400, () => 'SEARCH lists a collection; it cannot be combined with /get-by/ or an {item} path'),
  // filters, paging and field controls
  filterInvalid: defineError<{ reason: string }>('FILTER_INVALID', 400, (d) => `Invalid filters: ${d.reason}`),
  filterUnknownProperty: defineError<{ property: string }>('FILTER_UNKNOWN_PROPERTY', 400, (d) => `Unknown property "${d.property}" in filters`),
  filterUnknownOperator: defineError<{ operator: string }>('FILTER_UNKNOWN_OPERATOR', 400, (d) => `Unknown filter type "${d.operator}"`),
  filterOperatorNotApplicable: defineError<{ operator: string; property: string; kind: string }>('FILTER_OPERATOR_NOT_APPLICABLE', 400, (d) => `Filter type "${d.operator}" does not apply to ${d.kind} property "${d.property}"`),
  filterInvalidParam: defineError<{ property: string; reason: string }>('FILTER_INVALID_PARAM', 400, (d) => `Invalid param for "${d.property}": ${d.reason}`),
  fieldNotWrappable: defineError<{ field: string }>('FIELD_NOT_WRAPPABLE', 400, (d) => `System field "${d.field}" cannot be wrapped; wrapFields takes properties`),
  invalidCharacter: defineError<{ path: string; what: string }>('INVALID_CHARACTER', 400, (d) => `${d.path.slice(0, 200)} contains ${d.what}, which cannot be stored`),
  unknownField: defineError<{ parameter: string; field: string }>('UNKNOWN_FIELD', 400, (d) => `Unknown property "${d.field}" in ${d.parameter}`),
  invalidTags: defineError<{ where: string; reason: string }>('INVALID_TAGS', 400, (d) => `Invalid ${d.where}: ${d.reason}`),
  unknownTag: defineError<{ id: number }>('UNKNOWN_TAG', 400, (d) => `Tag ${d.id} does not exist or is not visible to you`),
  // files
  fileTooLarge: defineError<{ limit: number; name: string }>('FILE_TOO_LARGE', 413, (d) => `File "${d.name}" exceeds ${d.limit} bytes`),
  unsupportedMediaType: defineError<{ mediaType: string; property: string }>('UNSUPPORTED_MEDIA_TYPE', 415, (d) => `Property "${d.property}" does not accept files of type ${d.mediaType}`),
  uploadQuotaExceeded: defineError<{ limit: number }>('UPLOAD_QUOTA_EXCEEDED', 413, (d) => `Your unused uploads would exceed ${d.limit} bytes; attach them to items or wait for them to expire`),
  invalidUpload: defineError<{ reason: string }>('INVALID_UPLOAD', 400, (d) => `Invalid upload: ${d.reason}`),
  filePromiseInvalid: defineError<{ property: string; promise: string }>('FILE_PROMISE_INVALID', 400, (d) => `"${d.promise}" is not a usable upload promise for property "${d.property}" (unknown, expired, already used, or uploaded by another user)`),
  fileNotAccepted: defineError<{ property: string; name: string; reason: string }>('FILE_NOT_ACCEPTED', 400, (d) => `File "${d.name}" no longer fits property "${d.property}": ${d.reason}`),
  fileNotHeld: defineError<{ property: string; name: string }>('FILE_NOT_HELD', 400, (d) => `Property "${d.property}" holds no file named "${d.name}"`),
  // routing
  routeNotFound: defineError<{ method: string; path: string }>('ROUTE_NOT_FOUND', 404, (d) => `No route ${d.method} ${d.path}`),
  methodNotAllowed: defineError<{ method: string; path: string }>('METHOD_NOT_ALLOWED', 405, (d) => `Method ${d.method} is not allowed on ${d.path}`),
  notImplemented: defineError('NOT_IMPLEMENTED', 501, () => 'This route is reserved and not implemented'),
  // tenancy
  tenantNotFound: defineError<{ host: string }>('TENANT_NOT_FOUND', 404, (d) => `No tenant answers host "${d.host}"`),
  // resource limits: one tenant must not exhaust the process for the others
  invalidHost: defineError('INVALID_HOST', 400, () => 'The Host header is not a host name with an optional port (at most 260 characters)'),
  typeTooLarge: defineError<{ reason: string }>('TYPE_TOO_LARGE', 400, (d) => `The type definition is too large: ${d.reason}`),
  tooManyValues: defineError<{ count: number; limit: number }>('TOO_MANY_VALUES', 400, (d) => `The item would hold ${d.count} values; at most ${d.limit} values per item are allowed (multi-value properties count each value)`),
  // authentication and authorisation
  apiKeyMissing: defineError('API_KEY_MISSING', 403, () => 'An API key is required (key, x-api-key or Authorization: Bearer)'),
  apiKeyInvalid: defineError('API_KEY_INVALID', 403, () => 'The API key is invalid or revoked'),
  apiKeyExpired: defineError('API_KEY_EXPIRED', 403, () => 'The API key has expired'),
  userInactive: defineError('USER_INACTIVE', 403, () => 'The key owner is deactivated or unverified'),
  userOutsideValidity: defineError('USER_OUTSIDE_VALIDITY', 403, () => "The key owner's validity window does not include now"),
  permissionDenied: defineError<{ permission: string }>('PERMISSION_DENIED', 403, (d) => `Missing permission "${d.permission}"`),
  invalidCredentials: defineError('INVALID_CREDENTIALS', 401, () => 'Invalid user or password'),
  // privilege: what a caller may hand on or act on (issue 7)
  keyExceedsCaller: defineError<{ login: string }>('KEY_EXCEEDS_CALLER', 403, (d) => `A key for "${d.login}" would carry permissions or type grants that you do not hold`),
  rateLimited: defineError<{ retryAfter: number }>('RATE_LIMITED', 429, (d) => `Too many requests; retry in ${d.retryAfter} s`),
  // limits (uploads in progress)
  tooManyUploads: defineError<{ limit: number; retryAfter: number }>('TOO_MANY_UPLOADS', 429, (d) => `You already have ${d.limit} uploads in progress; retry in ${d.retryAfter} s`),
  // domain
  referenceNotFound: defineError<{ property: string; id: number }>('REFERENCE_NOT_FOUND', 400, (d) => `Property "${d.property}" refers to item ${d.id}, which does not exist`),
  uniqueViolation: defineError<{ property: string }>('UNIQUE_VIOLATION', 409, (d) => `Another item already has this value of unique property "${d.property}"`),
  // The same refusals for a caller who may not see what they would name (issue 7).
  uniqueValueTaken: defineError('UNIQUE_VIOLATION', 409, () => 'A unique value sent is already taken'),
  stillReferenced: defineError<{ count: number }>('STILL_REFERENCED', 409, (d) => `The item is referenced by ${d.count} other item(s) you can see; delete them first or use cascade=true`),
  stillReferencedHidden: defineError('STILL_REFERENCED', 409, () => 'The item is referenced by items you cannot see; it cannot be deleted'),
  notFound: defineError<{ what: string; id: string | number }>('NOT_FOUND', 404, (d) => `${d.what} ${d.id} not found`),
  conflict: defineError<{ message: string }>('CONFLICT', 409, (d) => d.message),
  badRequest: defineError<{ message: string }>('BAD_REQUEST', 400, (d) => d.message),
  // response cache: operator commands (http/handlers/cache.ts)
  purgeTargetInvalid: defineError<{ reason: string }>('PURGE_TARGET_INVALID', 400, (d) => `Invalid cache purge: ${d.reason}`),
  cacheUnavailable: defineError<{ retryAfter: number }>('CACHE_UNAVAILABLE', 503, (d) => `The cache store (Redis) is unavailable; nothing was purged or read; retry in ${d.retryAfter} s`),
  // notifications (issue 10): the special collection, notifications.send, the stream
  notificationCursorInvalid: defineError('NOTIFICATION_CURSOR_INVALID', 400, () => 'The cursor is malformed, altered or from another tenant; start again without a cursor'),
  notificationCursorMismatch: defineError('NOTIFICATION_CURSOR_MISMATCH', 400, () => 'The cursor belongs to another caller or to other filters (unread_only, after, recipient_custom_id); send it with the filters of the page it came from'),
  notificationAfterInvalid: defineError<{ after: string }>('NOTIFICATION_AFTER_INVALID', 400, (d) => `"after" must be an instant (RFC 3339) or the id of a notification of this feed; got "${d.after.slice(0, 100)}"`),
  notificationPatchInvalid: defineError('NOTIFICATION_PATCH_INVALID', 400, () => 'A notification accepts only {"read": true} or {"archive": true}'),
  notificationMethodNotAllowed: defineError<{ method: string; allow: string }>('NOTIFICATION_METHOD_NOT_ALLOWED', 405, (d) => `Notifications do not accept ${d.method} (allowed: ${d.allow}); send them with POST /app/notifications.send`),
  notificationSendInvalid: defineError<{ reason: string }>('NOTIFICATION_SEND_INVALID', 400, (d) => `Invalid notification: ${d.reason}`),
  notificationRecipientUnknown: defineError<{ ids: number[] }>('NOTIFICATION_RECIPIENT_UNKNOWN', 400, (d) => `No user ${d.ids.slice(0, 10).join(', ')}${d.ids.length > 10 ? ' …' : ''} in this tenant; nothing was sent`),
  tooManyStreams: defineError<{ limit: number }>('TOO_MANY_STREAMS', 429, (d) => `You already have ${d.limit} notification streams open on this server; close one first`),
  idempotencyKeyReused: defineError('IDEMPOTENCY_KEY_REUSED', 422, () => 'This Idempotency-Key was used within 24 hours with another request body; use a new key'),
  // faults: the database cannot answer right now (down, restarting, out of connections, busy)
  databaseUnavailable: defineError<{ retryAfter: number }>('DATABASE_UNAVAILABLE', 503, (d) => `The database is unavailable; retry in ${d.retryAfter} s`),
  // password reset (user.resetpassword, domain/accounts/password-reset*.ts)
  passwordResetDisabled: defineError('PASSWORD_RESET_DISABLED', 403, () => 'Password reset through the API is turned off for this tenant (setting allowApiPasswordReset)'),
  redirectUrlInvalid: defineError('REDIRECT_URL_INVALID', 400, () => 'redirect_url must be an absolute http: or https: URL without credentials (at most 2048 characters)'),
  redirectUrlNotAllowed: defineError<{ origin: string }>('REDIRECT_URL_NOT_ALLOWED', 400, (d) => `redirect_url is on ${d.origin.slice(0, 200)}, which is not one of the tenant's allowed redirect origins`),
  // account registration and verification (issue 9: domain/accounts)
  registrationDomainNotAllowed: defineError<{ domain: string }>('REGISTRATION_DOMAIN_NOT_ALLOWED', 403, (d) => `The e-mail domain "${d.domain}" is not in the tenant's registration envelope`),
  registrationRoleNotAllowed: defineError<{ role: number }>('REGISTRATION_ROLE_NOT_ALLOWED', 403, (d) => `Role ${d.role} is not in the tenant's registration envelope`),
  registrationGroupNotAllowed: defineError<{ group: number }>('REGISTRATION_GROUP_NOT_ALLOWED', 403, (d) => `Group ${d.group} is not in the tenant's registration envelope`),
  methodAlreadyDone: defineError('METHOD_ALREADY_DONE', 409, () => 'Method already done.'),
  challengeNotFound: defineError('CHALLENGE_NOT_FOUND', 404, () => 'No open verification challenge matches'),
  challengeRetryCooldown: defineError<{ retryAfter: number }>('CHALLENGE_RETRY_COOLDOWN', 429, (d) => `The challenge was sent recently; retry in ${d.retryAfter} s`),
  challengeRetryLimit: defineError<{ limit: number; retryAfter: number }>('CHALLENGE_RETRY_LIMIT', 429, (d) => `The challenge has been re-sent ${d.limit} times, its lifetime limit; register again or ask an operator to verify the account`),
  // delivery: the outbox's quotas and SMS guards (src/delivery/send-guards.ts)
  invalidMailAddress: defineError('INVALID_MAIL_ADDRESS', 400, () => 'The e-mail address is not valid'),
  invalidPhoneNumber: defineError('INVALID_PHONE_NUMBER', 400, () => 'The phone number must be in E.164 form: "+" and 8 to 15 digits'),
  smsCountryNotAllowed: defineError('SMS_COUNTRY_NOT_ALLOWED', 422, () => "SMS to this number's country are not allowed by the tenant's delivery settings (sms.allowedCountryPrefixes)"),
  destinationQuotaExceeded: defineError<{ channel: string; window: string; retryAfter: number }>('DESTINATION_QUOTA_EXCEEDED', 429, (d) => `Too many ${d.channel === 'sms' ? 'SMS to this number' : 'mails to this address'} in the last ${d.window}; retry in ${d.retryAfter} s`),
  tenantQuotaExceeded: defineError<{ channel: string; window: string; retryAfter: number }>('TENANT_SEND_QUOTA_EXCEEDED', 429, (d) => `The tenant sent its quota of ${d.channel === 'sms' ? 'SMS' : 'mails'} for the last ${d.window}; retry in ${d.retryAfter} s`),
  smsBudgetExhausted: defineError<{ retryAfter: number }>('SMS_BUDGET_EXHAUSTED', 429, (d) => `The tenant's daily SMS budget is spent: no SMS is sent until it frees up, in ${d.retryAfter} s`),
  // everything else
  internal: defineError('INTERNAL', 500, () => 'Internal server error'),
};
