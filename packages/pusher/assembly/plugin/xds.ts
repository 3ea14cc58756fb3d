// Properties Envoy moved under `xds.`: Envoy 1.33 removed `node`, `route_name`, `cluster_name`
// (and the other xDS attributes) from get_property in favour of `xds.node`, `xds.route_name`,
// `xds.cluster_name`; the Envoy that Higress ships still serves the old names. Each is asked
// under both; the names that answered last are asked first, so a request costs one host call
// per property that is present.
import { getPropertyStringAt, propertyPath } from "../abi/api";

const LEGACY: i32 = 0, XDS: i32 = 1;
let names: i32 = XDS;

/** A property path asked under its xds name, else its old name. */
export class XdsProperty {
  readonly xds: ArrayBuffer;
  readonly legacy: ArrayBuffer;
  constructor(path: string[]) {
    this.legacy = propertyPath(path);
    this.xds = propertyPath(["xds"].concat(path));
  }

  /** The value (null when absent or empty): the names that answered last are asked first. */
  get(): string | null {
    const xdsFirst = names != LEGACY;
    let v = getPropertyStringAt(xdsFirst ? this.xds : this.legacy);
    if (v !== null) { names = xdsFirst ? XDS : LEGACY; return v; }
    v = getPropertyStringAt(xdsFirst ? this.legacy : this.xds);
    if (v !== null) names = xdsFirst ? LEGACY : XDS;
    return v;
  }
}

export const ROUTE_NAME = new XdsProperty(["route_name"]);
export const CLUSTER_NAME = new XdsProperty(["cluster_name"]);
const NODE_NAME = new XdsProperty(["node", "metadata", "NAME"]);
const NODE_POD_NAME = new XdsProperty(["node", "metadata", "POD_NAME"]);
const NODE_ID = new XdsProperty(["node", "id"]);

/**
 * The gateway instance: node.metadata.NAME (what Istio, and so Higress, sets to the pod name),
 * else node.metadata.POD_NAME, else node.id. Node data is fixed for the VM: read once.
 */
export class Instance {
  private value: string | null = null;
  private read: bool = false;

  id(): string | null {
    if (!this.read) {
      let v = NODE_NAME.get();
      if (v === null) v = NODE_POD_NAME.get();
      if (v === null) v = NODE_ID.get();
      this.value = v;
      this.read = true;
    }
    return this.value;
  }
}
