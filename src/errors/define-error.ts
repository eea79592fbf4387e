// The one error class of the service and the factory that names each failure once.

export interface ErrorDetail {
  path?: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

type Extras = { details?: ErrorDetail[]; headers?: Record<string, string> };

export function defineError<D = void>(code: string, status: number, message: (d: D) => string) {
  const make = (data: D, extras: Extras = {}) =>
    new AppError(status, code, message(data), extras.details, extras.headers);
  return Object.assign(make, { code, status });
}
