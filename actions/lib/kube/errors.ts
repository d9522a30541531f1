import { ExternalError } from '../errors.js';
import { describeApiError } from './retry.js';

export const KUBE_SERVICE = 'Kubernetes API';

/** A Kubernetes API call that failed, as the ExternalError it is; `what` says which call, on which server. */
export function kubeApiError(what: string, err: unknown): ExternalError {
  return new ExternalError(KUBE_SERVICE, `${KUBE_SERVICE}: ${what}: ${describeApiError(err)}`, {
    cause: err,
  });
}

/** A Kubernetes API failure that has no error object to describe (a closed stream, a status). */
export function kubeFailure(message: string): ExternalError {
  return new ExternalError(KUBE_SERVICE, `${KUBE_SERVICE}: ${message}`);
}
