import { describe, expect, it } from "vitest";
import { partitionPath } from "./partitions.js";

describe("partition folders", () => {
  it("are name=value/ in the order given", () => {
    expect(partitionPath({ dt: "2026-12-01", hour: 13 })).toBe("dt=2026-12-01/hour=13/");
    expect(partitionPath({})).toBe("");
  });

  it("escape by Hive's rules, so a value never adds a folder or a .. segment", () => {
    expect(partitionPath({ "a/b": "../x=y#z%" })).toBe("a%2Fb=..%2Fx%3Dy%23z%25/");
    expect(partitionPath({ k: "tab\there" })).toBe("k=tab%09here/");
    expect(partitionPath({ k: ".." })).toBe("k=../");
  });

  it("an empty value is Hive's default partition", () => {
    expect(partitionPath({ k: "" })).toBe("k=__HIVE_DEFAULT_PARTITION__/");
  });
});
