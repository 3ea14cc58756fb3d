// db-log-pusher: records every request passing the gateway and pushes the records to the log
// collector. Entry point: the ABI exports, and the plugin's root context factory.
import { setRootContextFactory, RootContext } from "./abi/context";
import { PusherRoot } from "./plugin/root";
import "./abi/abort";

export * from "./abi/exports";

function newRoot(contextId: u32): RootContext {
  return new PusherRoot(contextId);
}

setRootContextFactory(newRoot);
