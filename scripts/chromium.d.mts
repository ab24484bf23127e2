export declare const chromePath: string;
export declare const chromiumFlags: string[];
