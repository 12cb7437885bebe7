/**
 * The AWS side of the simulator on one HTTP endpoint: STS and IAM (Query protocol, XML answers)
 * and EKS (REST-JSON). The service is the one named in the request's SigV4 credential scope, as
 * the real endpoints would see it; every request's signature is checked against the secret the
 * simulator issued for its access key.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { roleArn } from '@eks-auth-hub/core';
import { type Counters, type Faults, injectFault } from './faults.js';
import { httpDate } from './http-date.js';
import { parseAmzDate, parseAuthorization, parseRawQuery, verifyHeaderSignature } from './sigv4.js';
import { type Cluster, type Credential, type Role, SimError, type World } from './world.js';

const SKEW_MS = 15 * 60 * 1000;
const XMLNS: Record<string, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
};

export interface AwsApiContext {
  readonly world: World;
  readonly faults: Faults;
  readonly counters: Counters;
  /** Base URL of the simulated Kubernetes API servers (`https://127.0.0.1:PORT`). */
  readonly kubeBaseUrl: () => string;
  /** base64 PEM of the CA that signs the Kubernetes API servers' certificate. */
  readonly caData: string;
  /** Requests left unanswered on purpose (hang faults); closed on shutdown. */
  readonly hanging: Set<ServerResponse>;
}

const XML_SPECIAL = /[<>&'"]/;

function xmlEscape(value: string): string {
  if (!XML_SPECIAL.test(value)) return value;
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

type Protocol = 'query' | 'rest-json';

/** Answers with the error shape the SDK of that protocol parses into a named exception. */
function sendError(res: ServerResponse, protocol: Protocol, service: string, error: SimError, requestId: string): void {
  if (protocol === 'query') {
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    const body = `<ErrorResponse xmlns="${XMLNS[service] ?? XMLNS['sts']}"><Error><Type>${type}</Type>${el('Code', error.code)}${el('Message', error.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;
    res.writeHead(error.status, {
      'content-type': 'text/xml',
      'x-amzn-requestid': requestId,
      date: httpDate(),
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const body = JSON.stringify({ message: error.message });
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'x-amzn-requestid': requestId,
    date: httpDate(),
    'x-amzn-errortype': error.code,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendXml(res: ServerResponse, service: string, action: string, result: string, requestId: string): void {
  const body = `<${action}Response xmlns="${XMLNS[service] ?? ''}"><${action}Result>${result}</${action}Result><ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
  res.writeHead(200, {
    'content-type': 'text/xml',
    'x-amzn-requestid': requestId,
    date: httpDate(),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown, requestId: string): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    'content-type': 'application/json',
    'x-amzn-requestid': requestId,
    date: httpDate(),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Throttling, 5xx and auth errors as each protocol names them. */
const ERRORS = {
  throttle: { query: [400, 'Throttling', 'Rate exceeded'], 'rest-json': [429, 'ThrottlingException', 'Rate exceeded'] },
  error: {
    query: [500, 'InternalFailure', 'We encountered an internal error. Please try again.'],
    'rest-json': [500, 'ServerException', 'Internal server error'],
  },
  unknownKey: {
    query: [403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'],
    'rest-json': [403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'],
  },
  expired: {
    query: [403, 'ExpiredToken', 'The security token included in the request is expired'],
    'rest-json': [403, 'ExpiredTokenException', 'The security token included in the request is expired'],
  },
  badSignature: {
    query: [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'],
    'rest-json': [403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'],
  },
  missingAuth: {
    query: [403, 'MissingAuthenticationToken', 'Request is missing Authentication Token'],
    'rest-json': [403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'],
  },
} as const;

/**
 * IAM's verdict on a session, evaluated on every call (not when it was issued): a session whose role
 * is gone (deleted, or created again under the same name: another role id) is implicitly denied
 * everything, one issued before its role's "Revoke active sessions" time is explicitly denied by the
 * `AWSRevokeOlderSessions` policy. HTTP 403 with the code each protocol uses (`AccessDenied` in the
 * Query protocol, `AccessDeniedException` in EKS's REST-JSON) and IAM's message form. Never asked for
 * `sts:GetCallerIdentity`, which needs no permission and which no policy can deny.
 */
function authorize(world: World, caller: Credential, action: string, resource: string, protocol: Protocol): void {
  const denial = world.sessionDenial(caller);
  if (denial === undefined) return;
  const why =
    denial === 'explicit'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  throw new SimError(
    403,
    protocol === 'query' ? 'AccessDenied' : 'AccessDeniedException',
    `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`,
  );
}

function protocolError(kind: keyof typeof ERRORS, protocol: Protocol): SimError {
  const [status, code, message] = ERRORS[kind][protocol];
  return new SimError(status, code, message);
}

export interface RawRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

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

// ---------------------------------------------------------------------------------------------
// STS

function one(form: Record<string, string | string[]>, key: string): string | undefined {
  const value = form[key];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether one trust entry names the caller: its user ARN, its role (for a session), or its account root. */
function trustNames(trust: { principal: string }, caller: Credential, partition: string): boolean {
  const principal = trust.principal.toLowerCase();
  if (principal === `arn:${partition}:iam::${caller.account}:root`) return true;
  if (principal === caller.arn.toLowerCase()) return true;
  return caller.roleArn !== undefined && principal === caller.roleArn.toLowerCase();
}

function handleSts(
  ctx: AwsApiContext,
  caller: Credential,
  form: Record<string, string | string[]>,
  request: RawRequest,
  res: ServerResponse,
  requestId: string,
): void {
  const action = one(form, 'Action');
  const world = ctx.world;
  if (action === 'GetCallerIdentity') {
    const result = { Arn: caller.arn, UserId: caller.userId, Account: caller.account };
    if (String(request.headers.accept ?? '').includes('application/json')) {
      sendJson(
        res,
        { GetCallerIdentityResponse: { GetCallerIdentityResult: result, ResponseMetadata: { RequestId: requestId } } },
        requestId,
      );
    } else {
      sendXml(
        res,
        'sts',
        'GetCallerIdentity',
        `${el('Arn', result.Arn)}${el('UserId', result.UserId)}${el('Account', result.Account)}`,
        requestId,
      );
    }
    return;
  }
  if (action !== 'AssumeRole') throw new SimError(400, 'InvalidAction', `Could not find operation ${action ?? ''} for version 2011-06-15`);
  const roleArn = one(form, 'RoleArn') ?? '';
  const sessionName = one(form, 'RoleSessionName') ?? '';
  const externalId = one(form, 'ExternalId');
  const durationText = one(form, 'DurationSeconds');
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new SimError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
    );
  }
  const parsed = /^arn:([^:]+):iam::([0-9]{12}):role\/(?:.*\/)?([\w+=,.@-]{1,64})$/.exec(roleArn);
  const denied = (): SimError =>
    new SimError(403, 'AccessDenied', `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  if (parsed === null) throw new SimError(400, 'ValidationError', `${roleArn} is invalid`);
  const [, partition, accountId = '', name = ''] = parsed;
  // A session (role chaining) is evaluated like any other call first.
  authorize(world, caller, 'sts:AssumeRole', roleArn, 'query');
  if (partition !== world.partition) throw denied();
  const role: Role | undefined = world.accounts.get(accountId)?.roles.get(name.toLowerCase());
  // The ARN must name the role exactly, path included.
  if (role === undefined || role.arn !== roleArn) throw denied();
  const trusted = role.trust.filter((t) => trustNames(t, caller, world.partition));
  if (!trusted.some((t) => t.externalId === undefined || t.externalId === externalId)) throw denied();
  const maxDuration = caller.roleArn !== undefined ? 3600 : role.maxSessionDurationSeconds;
  const duration = durationText === undefined ? 3600 : Number(durationText);
  if (!Number.isInteger(duration) || duration < 900 || duration > maxDuration) {
    throw new SimError(400, 'ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`);
  }
  const session = world.issueSession(role, accountId, sessionName, duration);
  const credentials =
    el('AccessKeyId', session.accessKeyId) +
    el('SecretAccessKey', session.secretAccessKey) +
    el('SessionToken', session.sessionToken) +
    el('Expiration', new Date(session.expiresAt ?? 0).toISOString());
  sendXml(
    res,
    'sts',
    'AssumeRole',
    `<Credentials>${credentials}</Credentials><AssumedRoleUser>${el('AssumedRoleId', session.userId)}${el('Arn', session.arn)}</AssumedRoleUser>`,
    requestId,
  );
}

// ---------------------------------------------------------------------------------------------
// IAM

function encodeMarker(offset: number): string {
  return Buffer.from(`m:${offset}`).toString('base64');
}

function decodeMarker(marker: string): number {
  const match = /^m:([0-9]+)$/.exec(Buffer.from(marker, 'base64').toString('utf8'));
  if (match === null) throw new SimError(400, 'ValidationError', 'Invalid Marker');
  return Number(match[1]);
}

/** A role's `<member>` in ListRoles, written once per role (roles are never changed, only created and deleted). */
const roleMembers = new WeakMap<Role, string>();

function roleMember(r: Role): string {
  let member = roleMembers.get(r);
  if (member === undefined) {
    // Joined from an array: one flat string (a string built by + stays a tree of pieces, which every
    // join of a page would walk again).
    member = [
      '<member>',
      el('Path', r.path),
      el('RoleName', r.name),
      el('RoleId', r.roleId),
      el('Arn', r.arn),
      el('CreateDate', r.createDate.toISOString()),
      el('MaxSessionDuration', r.maxSessionDurationSeconds),
      '</member>',
    ].join('');
    roleMembers.set(r, member);
  }
  return member;
}

function handleIam(
  ctx: AwsApiContext,
  caller: Credential,
  form: Record<string, string | string[]>,
  res: ServerResponse,
  requestId: string,
): void {
  const action = one(form, 'Action');
  if (action !== 'ListRoles') throw new SimError(400, 'InvalidAction', `Could not find operation ${action ?? ''} for version 2010-05-08`);
  const prefix = one(form, 'PathPrefix') ?? '/';
  const maxItemsText = one(form, 'MaxItems');
  const maxItems = maxItemsText === undefined ? 100 : Number(maxItemsText);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    throw new SimError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${maxItemsText ?? ''}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
    );
  }
  authorize(ctx.world, caller, 'iam:ListRoles', `arn:${ctx.world.partition}:iam::${caller.account}:role${prefix}`, 'query');
  const marker = one(form, 'Marker');
  const start = marker === undefined ? 0 : decodeMarker(marker);
  const account = ctx.world.accounts.get(caller.account);
  const roles = account === undefined ? [] : [...account.roles.values()].filter((r) => r.path.startsWith(prefix));
  const pageSize = ctx.world.listRolesPageOverride ?? Math.min(maxItems, ctx.world.settings.maxListRolesPageSize);
  const page = roles.slice(start, start + pageSize);
  const truncated = start + pageSize < roles.length;
  const members = page.map(roleMember).join('');
  sendXml(
    res,
    'iam',
    'ListRoles',
    `${el('IsTruncated', truncated)}${truncated ? el('Marker', encodeMarker(start + pageSize)) : ''}<Roles>${members}</Roles>`,
    requestId,
  );
}

// ---------------------------------------------------------------------------------------------
// EKS

const EKS_ROUTES: readonly [RegExp, string][] = [
  [/^\/clusters$/, 'ListClusters'],
  [/^\/clusters\/([^/]+)$/, 'DescribeCluster'],
  [/^\/clusters\/([^/]+)\/node-groups$/, 'ListNodegroups'],
  [/^\/clusters\/([^/]+)\/node-groups\/([^/]+)$/, 'DescribeNodegroup'],
  [/^\/clusters\/([^/]+)\/fargate-profiles$/, 'ListFargateProfiles'],
  [/^\/clusters\/([^/]+)\/fargate-profiles\/([^/]+)$/, 'DescribeFargateProfile'],
];

function eksRoute(method: string, rawPath: string): { operation: string; params: string[] } | undefined {
  if (method !== 'GET') return undefined;
  for (const [pattern, operation] of EKS_ROUTES) {
    const match = pattern.exec(rawPath);
    // Split first, then decode each segment: names may hold encoded characters.
    if (match !== null) return { operation, params: match.slice(1).map((s) => decodeURIComponent(s)) };
  }
  return undefined;
}

function paginate<T>(
  items: readonly T[],
  query: Record<string, string | string[]>,
  cap: number,
): { page: T[]; nextToken: string | undefined } {
  const maxText = query['maxResults'];
  const max = maxText === undefined ? cap : Number(maxText);
  if (!Number.isInteger(max) || max < 1 || max > 100)
    throw new SimError(400, 'InvalidParameterException', 'maxResults must be between 1 and 100');
  const tokenText = query['nextToken'];
  let start = 0;
  try {
    if (tokenText !== undefined) start = decodeMarker(String(tokenText));
  } catch {
    // EKS has no ValidationError: a token it did not issue is an invalid parameter.
    throw new SimError(400, 'InvalidParameterException', 'The nextToken provided is invalid.');
  }
  const size = Math.min(max, cap);
  const page = items.slice(start, start + size);
  return { page, nextToken: start + size < items.length ? encodeMarker(start + size) : undefined };
}

/** The resource an EKS operation is authorised on (what IAM names in a denial). */
function eksResource(partition: string, region: string, account: string, route: { operation: string; params: string[] }): string {
  const [cluster = '*', child = '*'] = route.params;
  const base = `arn:${partition}:eks:${region}:${account}`;
  if (route.operation === 'DescribeNodegroup') return `${base}:nodegroup/${cluster}/${child}/*`;
  if (route.operation === 'DescribeFargateProfile') return `${base}:fargateprofile/${cluster}/${child}/*`;
  return `${base}:cluster/${route.operation === 'ListClusters' ? '*' : cluster}`;
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function handleEks(
  ctx: AwsApiContext,
  caller: Credential,
  region: string,
  route: { operation: string; params: string[] } | undefined,
  request: RawRequest,
  res: ServerResponse,
  requestId: string,
): void {
  if (route === undefined)
    throw new SimError(404, 'UnknownOperationException', `no EKS operation for ${request.method} ${request.rawPath}`);
  const world = ctx.world;
  authorize(world, caller, `eks:${route.operation}`, eksResource(world.partition, region, caller.account, route), 'rest-json');
  const query = parseRawQuery(request.rawQuery);
  const cap = world.settings.maxEksPageSize;
  const account = world.accounts.get(caller.account);
  const clusters = account === undefined ? [] : [...account.clusters.values()].filter((c) => c.region === region);
  const cluster = (): Cluster => {
    const name = route.params[0] ?? '';
    const found = clusters.find((c) => c.name === name);
    if (found === undefined) throw new SimError(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
    return found;
  };
  switch (route.operation) {
    case 'ListClusters': {
      const { page, nextToken } = paginate(
        clusters.map((c) => c.name),
        query,
        cap,
      );
      return sendJson(res, { clusters: page, ...(nextToken === undefined ? {} : { nextToken }) }, requestId);
    }
    case 'DescribeCluster': {
      const c = cluster();
      return sendJson(
        res,
        {
          cluster: {
            name: c.name,
            arn: c.arn,
            createdAt: epochSeconds(c.createdAt),
            version: c.version,
            endpoint: c.endpointOverride ?? `${ctx.kubeBaseUrl()}/k8s/${c.id}`,
            roleArn: roleArn(world.partition, c.account, 'eks-cluster-role'),
            status: 'ACTIVE',
            certificateAuthority: { data: ctx.caData },
            platformVersion: 'eks.1',
            accessConfig: { authenticationMode: c.authenticationMode, bootstrapClusterCreatorAdminPermissions: true },
            tags: {},
          },
        },
        requestId,
      );
    }
    case 'ListNodegroups': {
      const { page, nextToken } = paginate([...cluster().nodegroups.keys()], query, cap);
      return sendJson(res, { nodegroups: page, ...(nextToken === undefined ? {} : { nextToken }) }, requestId);
    }
    case 'DescribeNodegroup': {
      const c = cluster();
      const ng = c.nodegroups.get(route.params[1] ?? '');
      if (ng === undefined) throw new SimError(404, 'ResourceNotFoundException', `No node group found for name: ${route.params[1] ?? ''}.`);
      return sendJson(
        res,
        {
          nodegroup: {
            nodegroupName: ng.name,
            nodegroupArn: `arn:${world.partition}:eks:${c.region}:${c.account}:nodegroup/${c.name}/${ng.name}/${c.id.slice(0, 8)}`,
            clusterName: c.name,
            version: c.version,
            status: 'ACTIVE',
            nodeRole: ng.nodeRole,
            amiType: ng.amiType,
            createdAt: epochSeconds(ng.createdAt),
          },
        },
        requestId,
      );
    }
    case 'ListFargateProfiles': {
      const { page, nextToken } = paginate([...cluster().fargateProfiles.keys()], query, cap);
      return sendJson(res, { fargateProfileNames: page, ...(nextToken === undefined ? {} : { nextToken }) }, requestId);
    }
    case 'DescribeFargateProfile': {
      const c = cluster();
      const fp = c.fargateProfiles.get(route.params[1] ?? '');
      if (fp === undefined)
        throw new SimError(404, 'ResourceNotFoundException', `No Fargate Profile found with name: ${route.params[1] ?? ''}.`);
      return sendJson(
        res,
        {
          fargateProfile: {
            fargateProfileName: fp.name,
            fargateProfileArn: `arn:${world.partition}:eks:${c.region}:${c.account}:fargateprofile/${c.name}/${fp.name}/${c.id.slice(0, 8)}`,
            clusterName: c.name,
            podExecutionRoleArn: fp.podExecutionRoleArn,
            status: 'ACTIVE',
            createdAt: epochSeconds(fp.createdAt),
          },
        },
        requestId,
      );
    }
    default:
      throw new SimError(404, 'UnknownOperationException', `no EKS operation ${route.operation}`);
  }
}
