export declare const CHROMIUM_CANDIDATES: string[];
export declare function chromiumPath(): string | undefined;
export declare const QUIET_FLAGS: string[];
export declare const WEBGPU_FLAGS: string[];
