// `prisma generate` offline: the CLI insists on locating a native schema engine it
// never runs during generate. Pointing it at any existing file (node itself) skips
// the download, which is impossible on machines without internet access.
import { spawnSync } from 'node:child_process';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync('npx', ['prisma', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
