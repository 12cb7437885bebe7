/** Test support: the HubError a promise rejects with (anything else is rethrown). */
import { HubError } from '@eks-auth-hub/core';

export async function rejection(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HubError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
