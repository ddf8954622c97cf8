import { describe, expect, it } from "vitest";
import { redactSecrets, redactValue } from "./redact.js";

describe("redactSecrets", () => {
  it.each([
    ["postgres://app:s3cret@db.local:5432/shop", "postgres://app:***@db.local:5432/shop"],
    ["redis://:s3cret@cache:6379", "redis://:***@cache:6379"],
    [
      "kafka broker at kafka://alice:s3cret@10.0.0.1:9092 refused",
      "kafka broker at kafka://alice:***@10.0.0.1:9092 refused",
    ],
    [
      "https://bucket.s3.amazonaws.com/o?X-Amz-Credential=AKIA123&X-Amz-Signature=abcdef&x=1",
      "https://bucket.s3.amazonaws.com/o?X-Amz-Credential=***&X-Amz-Signature=***&x=1",
    ],
    ["jdbc:postgresql://db/x?user=app&password=s3cret", "jdbc:postgresql://db/x?user=app&password=***"],
    ["https://h/p?sig=s3cret#frag", "https://h/p?sig=***#frag"],
    ["host=db user=app password=s3cret dbname=shop", "host=db user=app password=*** dbname=shop"],
    ["password='s3 cret' host=db", "password=*** host=db"],
    ["api_key: s3cret", "api_key: ***"],
  ])("%s", (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
    expect(redactSecrets(input)).not.toContain("s3cret");
  });

  it("leaves text without secrets alone", () => {
    for (const text of [
      "file:///tmp/out",
      "postgres://app@db/shop",
      "s3://bucket/prefix?versionId=3",
      "keyGroup=3 key=a state=count",
      "job 1234 FINISHED; savepoint: /tmp/sp-1",
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });

  it("redacts nested values and secret-named fields", () => {
    const redacted = redactValue({
      target: "postgres://app:s3cret@db/shop",
      nested: [{ password: "s3cret", user: "app" }],
      token: "s3cret",
      count: 3,
    });
    expect(JSON.stringify(redacted)).not.toContain("s3cret");
    expect(redacted).toEqual({
      target: "postgres://app:***@db/shop",
      nested: [{ password: "***", user: "app" }],
      token: "***",
      count: 3,
    });
  });
});
