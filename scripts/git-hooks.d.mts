export declare const MAX_SUBJECT_LENGTH: number;
export declare const COMMIT_TYPES: string[];
export declare function checkCommitMessage(message: string): string[];
export declare function installGitHooks(options?: {
  cwd?: string;
  env?: Record<string, string | undefined>;
}): string;
