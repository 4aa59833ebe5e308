/**
 * What `/_ping`, `/version` and `/info` answer: the API version the server speaks (1.50, what the docker
 * 28.2 client asks for) and a daemon that says it is Strata, shaped as dockerd's answers so the docker
 * CLI prints them (moby api/types/system, api/server/router/system).
 */
import { type EngineState, imageStoreOf } from "@strata/core";

export const API_VERSION = "1.50";
export const MIN_API_VERSION = "1.24";
/** The engine version reported: the Docker release whose API this is. */
export const ENGINE_VERSION = "28.2.2";
export const STRATA_VERSION = "0.1.0";
export const SERVER_HEADER = `Strata/${STRATA_VERSION} (linux)`;

/** `GET /version`. */
export function versionBody(): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION,
    Arch: process.arch === "x64" ? "amd64" : process.arch,
    BuildTime: "",
    Experimental: "false",
    GitCommit: "strata",
    GoVersion: `node${process.versions.node}`,
    KernelVersion: "strata (no kernel: a model)",
    MinAPIVersion: MIN_API_VERSION,
    Os: "linux",
  };
  return {
    Platform: { Name: `Strata ${STRATA_VERSION} (a replayable Docker daemon)` },
    Components: [{ Name: "Engine", Version: ENGINE_VERSION, Details: details }],
    Version: ENGINE_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: "strata",
    GoVersion: details.GoVersion,
    Os: "linux",
    Arch: details.Arch,
    KernelVersion: details.KernelVersion,
    BuildTime: "",
  };
}

/** `GET /info`: counts from the state, the rest shaped as a daemon on the graphdriver store. */
export function infoBody(
  state: EngineState,
  daemon: { readonly id: string; readonly name: string; readonly location: string; readonly now: number },
): Record<string, unknown> {
  const containers = Object.values(state.containers);
  const running = containers.filter((c) => c.status === "running" || c.status === "restarting").length;
  const paused = containers.filter((c) => c.status === "paused").length;
  const images = Object.values(state.images).filter((i) => i.status === "present").length;
  const store = imageStoreOf(state);
  return {
    ID: daemon.id,
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: containers.length - running - paused,
    Images: images,
    Driver: store === "containerd" ? "overlayfs" : "overlay2",
    DriverStatus: [
      ["Backing Filesystem", "strata"],
      ["Supports d_type", "true"],
    ],
    Plugins: { Volume: [], Network: [], Authorization: null, Log: [] },
    MemoryLimit: false,
    SwapLimit: false,
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date(daemon.now).toISOString(),
    LoggingDriver: "none",
    CgroupDriver: "none",
    CgroupVersion: "2",
    NEventsListener: 0,
    KernelVersion: "strata (no kernel: a model)",
    OperatingSystem: "Strata",
    OSVersion: STRATA_VERSION,
    OSType: "linux",
    Architecture: process.arch === "x64" ? "x86_64" : process.arch,
    IndexServerAddress: "",
    RegistryConfig: { InsecureRegistryCIDRs: [], IndexConfigs: {}, Mirrors: null },
    NCPU: 1,
    MemTotal: 0,
    GenericResources: null,
    DockerRootDir: daemon.location,
    HttpProxy: "",
    HttpsProxy: "",
    NoProxy: "",
    Name: daemon.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: ENGINE_VERSION,
    Runtimes: { strata: { path: "strata", status: {} } },
    DefaultRuntime: "strata",
    Swarm: {
      NodeID: "",
      NodeAddr: "",
      LocalNodeState: "inactive",
      ControlAvailable: false,
      Error: "",
      RemoteManagers: null,
    },
    LiveRestoreEnabled: false,
    Isolation: "",
    InitBinary: "",
    ContainerdCommit: { ID: "" },
    RuncCommit: { ID: "" },
    InitCommit: { ID: "" },
    SecurityOptions: [],
    CDISpecDirs: [],
    Warnings: null,
  };
}
