/**
 * The AWS side of the simulator on one HTTP endpoint: STS and IAM (Query protocol, XML answers)
 * and EKS (REST-JSON). The service is the one named in the request's SigV4 credential scope, as
 * the real endpoints would see it; every request's signature is checked against the secret the
 * simulator issued for its access key. This file authenticates and dispatches; each service's
 * operations are in `sts-api.ts`, `iam-api.ts` and `eks-api.ts`, the protocols' plumbing in
 * `aws-protocol.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type AwsApiContext, type Protocol, protocolError, type RawRequest, sendError } from './aws-protocol.js';
import { eksRoute, handleEks } from './eks-api.js';
import { injectFault } from './faults.js';
import { handleIam } from './iam-api.js';
import { parseAmzDate, parseAuthorization, parseRawQuery, verifyHeaderSignature } from './sigv4.js';
import { SimError } from './sim-error.js';
import { handleSts } from './sts-api.js';
import type { World } from './world.js';
import type { Credential } from './world-model.js';

const SKEW_MS = 15 * 60 * 1000;

/** Handles one AWS API request (anything not under the control prefix). */
export async function handleAwsRequest(ctx: AwsApiContext, request: RawRequest, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const auth = parseAuthorization(typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined);
  const service = auth?.service ?? (request.rawPath.startsWith('/clusters') ? 'eks' : 'sts');
  const protocol: Protocol = service === 'eks' ? 'rest-json' : 'query';
  const form = protocol === 'query' ? parseRawQuery(request.body.toString('utf8')) : {};
  const route = protocol === 'query' ? undefined : eksRoute(request.method, request.rawPath);
  const operation = `${service}:${protocol === 'query' ? String(form['Action'] ?? 'Unknown') : (route?.operation ?? 'Unknown')}`;
  const fail = (error: SimError): void => {
    ctx.counters.record(operation, error.code);
    sendError(res, protocol, service, error, requestId);
  };

  const fault = await injectFault(ctx.faults, ctx.counters, ctx.hanging, operation, res);
  if (fault === 'done') return;
  if (fault === 'throttle') return fail(protocolError('throttle', protocol));
  if (fault === 'error') return fail(protocolError('error', protocol));

  try {
    if (auth === undefined) throw protocolError('missingAuth', protocol);
    const caller = authenticate(ctx.world, request, auth, protocol);
    ctx.counters.recordPrincipal(caller.roleArn ?? caller.arn, operation);
    if (protocol === 'query') {
      if (service === 'sts') handleSts(ctx, caller, form, request, res, requestId);
      else if (service === 'iam') handleIam(ctx, caller, form, res, requestId);
      else throw new SimError(400, 'InvalidAction', `service ${service} is not simulated`);
    } else {
      handleEks(ctx, caller, auth.region, route, request, res, requestId);
    }
    ctx.counters.record(operation, 'ok');
  } catch (error) {
    if (error instanceof SimError) return fail(error);
    throw error;
  }
}

function authenticate(
  world: World,
  request: RawRequest,
  auth: NonNullable<ReturnType<typeof parseAuthorization>>,
  protocol: Protocol,
): Credential {
  const credential = world.credentials.get(auth.accessKeyId);
  if (credential === undefined) throw protocolError('unknownKey', protocol);
  const token = request.headers['x-amz-security-token'];
  if (credential.sessionToken !== undefined && token !== credential.sessionToken) throw protocolError('unknownKey', protocol);
  if (world.propagating(credential)) throw protocolError('unknownKey', protocol);
  if (credential.expiresAt !== undefined && credential.expiresAt < world.now()) throw protocolError('expired', protocol);
  const date = parseAmzDate(typeof request.headers['x-amz-date'] === 'string' ? request.headers['x-amz-date'] : undefined);
  if (date === undefined || !auth.signedHeaders.includes('host')) throw protocolError('badSignature', protocol);
  // Skew is measured against the real clock (clients sign with it); lifetimes against the world's
  // clock, which tests may move forward to expire sessions.
  if (Math.abs(date.getTime() - Date.now()) > SKEW_MS) {
    throw new SimError(
      403,
      protocol === 'query' ? 'SignatureDoesNotMatch' : 'InvalidSignatureException',
      'Signature expired: the request time is too far from the server time.',
    );
  }
  if (!verifyHeaderSignature(request, auth, credential, date)) throw protocolError('badSignature', protocol);
  return credential;
}
