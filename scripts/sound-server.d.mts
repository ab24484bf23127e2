export declare const pulseaudioPath: string;
export declare function startSoundServer(): Promise<{
  env: { PULSE_SERVER: string };
  stop(): Promise<void>;
}>;
export declare function hasSoundServer(): boolean;
