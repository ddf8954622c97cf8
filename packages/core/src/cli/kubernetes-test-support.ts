/** The job of deploy/kubernetes/statefulset.yaml, parsed, for the tests that check it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repo } from "./cli-test-support.js";

interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
}

export interface Container {
  readonly command: string[];
  readonly args: string[];
  readonly ports: { readonly name: string; readonly containerPort: number }[];
  readonly env: {
    readonly name: string;
    readonly value?: string;
    readonly valueFrom?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } };
  }[];
  readonly startupProbe?: Probe;
  readonly livenessProbe?: Probe;
}

interface Resource {
  readonly kind: string;
  readonly metadata: { readonly name: string };
}

interface Service extends Resource {
  readonly spec: { readonly ports: { readonly targetPort: string | number }[] };
}

interface StatefulSet extends Resource {
  readonly spec: {
    readonly replicas: number;
    readonly serviceName: string;
    readonly template: {
      readonly spec: { readonly terminationGracePeriodSeconds: number; readonly containers: Container[] };
    };
  };
}

export function kubernetesJob(): {
  service: Service;
  statefulSet: StatefulSet;
  container: Container;
  args: string[];
} {
  const text = readFileSync(join(repo, "deploy/kubernetes/statefulset.yaml"), "utf8");
  const resources = parseAllDocuments(text).map((d) => d.toJS()) as Resource[];
  const service = resources.find((r) => r.kind === "Service") as Service;
  const statefulSet = resources.find((r) => r.kind === "StatefulSet") as StatefulSet;
  const [container] = statefulSet.spec.template.spec.containers as [Container];
  return { service, statefulSet, container, args: container.args };
}
