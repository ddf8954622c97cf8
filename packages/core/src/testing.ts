/**
 * @berth/core/testing — test hooks, for the conformance kit and a connector's own tests:
 * fault injection at named lifecycle points (`BERTH_FAULT`, `armFault`) and loading a
 * checkpoint or savepoint as the core would restore it (`loadRestorePoint`). Not for
 * building or running jobs (`@berth/core`) nor for writing a sink (`@berth/core/connector`).
 * The control plane (`startRestServer`) is here for benchmarks that drive a job in-process
 * over REST as `berth run` serves it.
 */
export { loadRestorePoint, type RestoredSubtask, type RestorePoint } from "./checkpoint/restore-point.js";
export { type RestServer, type RestServerOptions, startRestServer } from "./control/rest-server.js";
export { armFault, FAULT_POINTS, type FaultPoint, faultPoint } from "./fault-injection.js";
