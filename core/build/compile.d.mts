export declare const COMPILED_ROOTS: string[];
export declare const DIST: string;
export declare function outputOf(root: string, file: string): string;
export declare function sourceFiles(root: string): string[];
export declare function isStale(root: string, file: string): boolean;
export declare function compile(root: string, files?: string[]): Promise<number>;
