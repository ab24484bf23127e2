export declare const webkitDriverPath: string;
export declare const xdotoolPath: string;
export declare const miniBrowserPath: string;
export declare const webkitCapabilities: WebdriverIO.Capabilities;
export declare function startWebKitDriver(): Promise<{
  port: number;
  focusBrowserWindow(): Promise<void>;
  stop(): Promise<void>;
}>;
export declare function hasWebKit(): boolean;
