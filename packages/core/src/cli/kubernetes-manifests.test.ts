/**
 * deploy/kubernetes/ stays true to its README and to the CLI: the manifests parse; the
 * StatefulSet has one replica and runs `berth run` as the container's command with only flags
 * docs/cli.md gives `berth run`, `--from-latest` and an s3:// checkpoint directory; its grace
 * period covers the stop's bounds (the wait for RUNNING, the checkpoint timeout, the commit
 * deadline it passes, 20 s to close) and is the number the README sizes; both probes ask /healthz
 * on the --metrics-address port; the credentials come from keys the Secret holds.
 * kubernetes-pid1.it.test.ts runs the same arguments with the real CLI.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseListenAddress } from "../control/metrics-server.js";
import { DEFAULT_CHECKPOINT_TIMEOUT_MS, RUNNING_WAIT_MS } from "../job.js";
import { repo } from "./cli-test-support.js";
import { kubernetesJob } from "./kubernetes-test-support.js";

const read = (path: string) => readFileSync(join(repo, path), "utf8");
const CLOSE_MARGIN_S = 20;

describe("deploy/kubernetes", () => {
  const { service, statefulSet, container, args } = kubernetesJob();

  it("every manifest parses without errors", () => {
    for (const file of ["statefulset.yaml", "secret.yaml"]) {
      const documents = parseAllDocuments(read(`deploy/kubernetes/${file}`));
      for (const document of Array.isArray(documents) ? documents : [documents])
        expect(document.errors, file).toEqual([]);
    }
  });

  it("runs one replica of berth run with documented flags, --from-latest and s3:// checkpoints", () => {
    expect(statefulSet.spec.replicas).toBe(1);
    expect(statefulSet.spec.serviceName).toBe(service.metadata.name);
    expect(container.command).toEqual([expect.stringMatching(/\/node_modules\/\.bin\/berth$/)]);
    expect(args[0]).toBe("run");
    const cli = read("docs/cli.md");
    const synopsis = cli.slice(cli.indexOf("berth run <pipeline>"), cli.indexOf("berth stop <jobId>"));
    const flags = args.filter((a) => a.startsWith("--"));
    for (const flag of flags) expect(synopsis, flag).toMatch(new RegExp(`${flag}(?![a-z-])`));
    expect(flags).toContain("--from-latest");
    expect(args[args.indexOf("--checkpoint-dir") + 1]).toMatch(/^s3:\/\/[a-z0-9.-]+\/./);
  });

  it("gives the stop its whole bounds as grace period, the number the README sizes", () => {
    const commitDeadlineS = Number(args[args.indexOf("--commit-deadline") + 1]) / 1000;
    const grace = statefulSet.spec.template.spec.terminationGracePeriodSeconds;
    expect(grace).toBeGreaterThanOrEqual(
      RUNNING_WAIT_MS / 1000 + DEFAULT_CHECKPOINT_TIMEOUT_MS / 1000 + commitDeadlineS + CLOSE_MARGIN_S,
    );
    const readme = read("deploy/kubernetes/README.md");
    expect(readme).toContain(`--commit-deadline ${commitDeadlineS * 1000}\` and sets ${grace} s`);
  });

  it("probes /healthz on the --metrics-address port, which the Service names", () => {
    const address = parseListenAddress(args[args.indexOf("--metrics-address") + 1] as string);
    expect(address.host).toBe("0.0.0.0");
    const port = container.ports.find((p) => p.containerPort === address.port);
    expect(port, "a containerPort for --metrics-address").toBeDefined();
    for (const probe of [container.startupProbe, container.livenessProbe])
      expect(probe?.httpGet).toEqual({ path: "/healthz", port: port?.name });
    expect(service.spec.ports).toEqual([expect.objectContaining({ targetPort: port?.name })]);
  });

  it("takes the S3 credentials from keys the Secret holds", () => {
    const [secret] = parseAllDocuments(read("deploy/kubernetes/secret.yaml")).map((d) => d.toJS()) as [
      { metadata: { name: string }; stringData: Record<string, string> },
    ];
    const fromSecret = container.env.filter((e) => e.valueFrom?.secretKeyRef);
    expect(fromSecret.map((e) => e.name).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    for (const e of fromSecret) {
      expect(e.valueFrom?.secretKeyRef?.name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData)).toContain(e.valueFrom?.secretKeyRef?.key);
    }
  });
});
