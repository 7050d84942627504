export declare const CLIENT_DIR: string;
/** { relative path: content } of every generated file of clients/js. */
export declare function renderClientFiles(document: unknown): Promise<Record<string, string>>;
