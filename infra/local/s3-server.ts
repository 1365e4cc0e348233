// Entry point of the local S3-compatible server (s3rver), run detached by `pnpm infra:up`.
// s3rver needs NODE_OPTIONS=--openssl-legacy-provider, else its ListObjectsV2 paging fails (DESIGN.md).
import S3rver from 's3rver';

const [directory, address, port, bucket] = process.argv.slice(2);
if (!directory || !address || !port || !bucket) {
  console.error('usage: s3-server.ts <directory> <address> <port> <bucket>');
  process.exit(2);
}
const server = new S3rver({
  directory,
  address,
  port: Number(port),
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
await server.run();
console.log(`s3rver listening on http://${address}:${port}, data in ${directory}`);
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
