// The baseline every ratio is measured against: a plain node:http server that reads the body and
// answers 204. Same machine, same core, same load generator as the collector in the same run.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8788);
createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(req.url?.startsWith('/c/') ? 302 : 204, req.url?.startsWith('/c/') ? { Location: 'http://127.0.0.1/' } : {});
    res.end();
  });
}).listen(port, '127.0.0.1', () => console.log('ready'));
