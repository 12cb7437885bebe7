/** The ports the commands that reach AWS use: the AWS adapters, loaded only when such a command runs. */
import type { DesiredState, Ports } from '@eks-auth-hub/core';

/** Builds the ports a pass uses; tests may pass their own. */
export type PortsFactory = (state: DesiredState) => Ports | Promise<Ports>;

export const defaultPorts: PortsFactory = async (state) => {
  const { createAwsPorts } = await import('@eks-auth-hub/aws');
  return createAwsPorts({ hub: state.hub });
};
