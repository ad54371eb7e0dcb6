import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatProblem, loadManifest } from "../../src/manifest/load.js";
import { removeTempDirs, tempDir, yaml } from "./manifest-helpers.js";

afterAll(removeTempDirs);

/** [path, line (undefined = none), a part of the message] */
type Expected = [string, number | undefined, string];

interface Case {
  name: string;
  manifest: string;
  files?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  problems: Expected[];
}

const cases: Case[] = [
  {
    name: "proxy: what it cannot serve, and wrong values",
    manifest: yaml`
      services:
        udp:
          repo: git@github.com:acme/udp.git
          ports: ["5353:53/udp"]
          proxy: true
          health: false
        nothing:
          repo: git@github.com:acme/n.git
          proxy: true
          health: false
        named:
          repo: git@github.com:acme/named.git
          proxy: { host: Bad_Name, tls: maybe }
          stop_signal: TERM-ME
          stop_grace_period: soon
          health: false
        job:
          repo: git@github.com:acme/job.git
          kind: job
          ports: ["3000:3000"]
          proxy: true
          health: { running: 1s }
    `,
    problems: [
      ["services.udp.proxy", 5, "the proxy carries TCP only"],
      ["services.nothing.proxy", 9, "needs `ports` to publish through the proxy"],
      ["services.named.proxy.host", 13, "expected a lowercase host name"],
      ["services.named.proxy.tls", 13, 'expected true or false or "internal"'],
      ["services.named.stop_signal", 14, 'expected a signal such as "SIGTERM"'],
      ["services.named.stop_grace_period", 15, "expected a duration"],
      ["services.job.proxy", 21, "a job serves nothing"],
    ],
  },
  {
    name: "unknown key, with a suggestion",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          helth: { path: /health, port: 3000 }
    `,
    problems: [["services.api.helth", 4, 'unknown key "helth" (did you mean "health"?)']],
  },
  {
    name: "unknown keys at the top level, in a host and in health",
    manifest: yaml`
      servics: {}
      hosts:
        vps-1: { ssh: a@b, user: root }
      services:
        api:
          repo: git@github.com:acme/api.git
          health: { path: /health, port: 3000, retries: 3 }
    `,
    problems: [
      ["servics", 1, 'unknown key "servics" (did you mean "services"?)'],
      ["hosts.vps-1.user", 3, 'unknown key "user"'],
      ["services.api.health.retries", 7, 'unknown key "retries"'],
    ],
  },
  {
    name: "wrong types",
    manifest: yaml`
      keep_images: many
      services:
        api:
          repo: git@github.com:acme/api.git
          cpus: fast
          ports: "3000:3000"
          command: 5
          restart: sometimes
          health: yes
    `,
    problems: [
      ["keep_images", 1, "expected a number, got a string"],
      ["services.api.cpus", 5, "expected a number, got a string"],
      ["services.api.ports", 6, "expected a list, got a string"],
      ["services.api.command", 7, "expected a string or a list, got a whole number"],
      ["services.api.restart", 8, 'must be one of: "no", "always", "unless-stopped", "on-failure"'],
      ["services.api.health", 9, "expected false or a map (key: value), got a string"],
    ],
  },
  {
    name: "a required key is missing: the line of its parent",
    manifest: yaml`
      services:
        api:
          branch: main
    `,
    problems: [["services.api.repo", 2, "is required"]],
  },
  {
    name: "no services",
    manifest: yaml`
      version: 1
      services: {}
    `,
    problems: [["services", 2, "needs at least one service"]],
  },
  {
    name: "services missing altogether",
    manifest: yaml`
      version: 1
    `,
    problems: [["services", undefined, "is required"]],
  },
  {
    name: "unknown host, in host and in hosts",
    manifest: yaml`
      hosts:
        vps-1: { ssh: deploy@203.0.113.10 }
      services:
        api:
          repo: git@github.com:acme/api.git
          host: vps-9
        web:
          repo: git@github.com:acme/web.git
          hosts: [vps-1, vps-2]
    `,
    problems: [
      ["services.api.host", 6, 'unknown host "vps-9" (defined: local, vps-1)'],
      ["services.web.hosts.1", 9, 'unknown host "vps-2"'],
    ],
  },
  {
    name: "an unknown host inherited from defaults is reported once, at defaults",
    manifest: yaml`
      defaults:
        host: vps-1
      services:
        api: { repo: "git@github.com:acme/api.git" }
        web: { repo: "git@github.com:acme/web.git" }
    `,
    problems: [["defaults.host", 2, 'unknown host "vps-1"']],
  },
  {
    name: "unknown dependency and self-dependency",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          depends_on: [db, api]
    `,
    problems: [
      ["services.api.depends_on.0", 4, 'unknown service "db" (services: api)'],
      ["services.api.depends_on.1", 4, "a service cannot depend on itself"],
    ],
  },
  {
    name: "dependency cycle",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          depends_on: [b]
        b:
          repo: git@github.com:acme/b.git
          depends_on:
            - c
        c:
          repo: git@github.com:acme/c.git
          depends_on: [a]
    `,
    problems: [["services.a.depends_on.0", 4, "dependency cycle: a -> b -> c -> a"]],
  },
  {
    name: "duplicate host ports: same address, all addresses, one service twice",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          ports: ["127.0.0.1:3000:3000", "8080:80", "53:53/udp", "53:53"]
        b:
          repo: git@github.com:acme/b.git
          ports:
            - 127.0.0.1:3000:3001
            - 127.0.0.2:8080:80
            - 127.0.0.2:3001:3001
            - 3001:3002
    `,
    problems: [
      ["services.b.ports.0", 8, "host port 3000/tcp on host local is also published by service a"],
      ["services.b.ports.1", 9, "host port 8080/tcp on host local is also published by service a"],
      [
        "services.b.ports.3",
        11,
        "host port 3001/tcp on host local is also published by this service already",
      ],
    ],
  },
  {
    name: "ports on different hosts do not clash",
    manifest: yaml`
      hosts:
        vps-1: { ssh: deploy@vps-1 }
      services:
        a: { repo: "git@github.com:acme/a.git", ports: ["3000:3000"], host: vps-1 }
        b: { repo: "git@github.com:acme/b.git", ports: ["3000:3000"], hosts: [local, vps-1] }
    `,
    problems: [["services.b.ports.0", 5, "host port 3000/tcp on host vps-1 is also published by service a"]],
  },
  {
    name: "container-only port, and other bad ports",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          ports: ["3000", 8080, "3000-3005:3000-3005", "70000:80", "web:80"]
    `,
    problems: [
      ["services.api.ports.0", 4, "give the host port too"],
      ["services.api.ports.1", 4, "give the host port too"],
      ["services.api.ports.2", 4, "port ranges are not supported"],
      ["services.api.ports.3", 4, "between 1 and 65535"],
      ["services.api.ports.4", 4, "expected"],
    ],
  },
  {
    name: "reserved service name",
    manifest: yaml`
      services:
        status:
          repo: git@github.com:acme/status.git
    `,
    problems: [["services.status", 2, '"status" is reserved']],
  },
  {
    name: "bad service names",
    manifest: yaml`
      services:
        Auth_Service: { repo: "git@github.com:acme/a.git" }
        -api: { repo: "git@github.com:acme/b.git" }
        web-: { repo: "git@github.com:acme/c.git" }
    `,
    problems: [
      ["services.Auth_Service", 2, 'service name "Auth_Service" must be lowercase letters'],
      ["services.-api", 3, 'service name "-api" must be'],
      ["services.web-", 4, 'service name "web-" must be'],
    ],
  },
  {
    name: "explicit invalid project, wrong version",
    manifest: yaml`
      version: 2
      project: My Project
      services:
        api: { repo: "git@github.com:acme/api.git" }
    `,
    problems: [
      ["version", 1, "must be 1"],
      ["project", 2, "must be lowercase letters"],
    ],
  },
  {
    name: "unset variables; the value is never shown",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          environment:
            DB_URL: \${DB_URL}
            TOKEN: "\${TOKEN:?ask the ops team}"
            SET: \${SET}
            EMPTY_OK: \${EMPTY}
            DEFAULTED: \${MISSING:-x}
          memory: \${MEMORY}
          labels: { broken: "\${oops" }
    `,
    env: { SET: "top-secret-value", EMPTY: "" },
    problems: [
      ["services.api.environment.DB_URL", 5, "environment variable DB_URL is not set"],
      ["services.api.environment.TOKEN", 6, "environment variable TOKEN is not set: ask the ops team"],
      ["services.api.memory", 10, "environment variable MEMORY is not set"],
      ["services.api.labels.broken", 11, 'without its closing "}"'],
    ],
  },
  {
    name: "a value-less environment key comes from the caller's environment",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          environment: [A=1, NOT_SET]
    `,
    problems: [["services.api.environment.NOT_SET", 4, "environment variable NOT_SET is not set"]],
  },
  {
    name: "context escaping the repository, absolute context",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          context: apps/../../other
        b:
          repo: git@github.com:acme/b.git
          context: /srv/app
    `,
    problems: [
      ["services.a.context", 4, "must be a folder inside the repository"],
      ["services.b.context", 7, "must be a folder inside the repository"],
    ],
  },
  {
    name: "dockerfile escaping the context",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          context: api
          dockerfile: ../Dockerfile
    `,
    problems: [["services.a.dockerfile", 5, "must be inside context"]],
  },
  {
    name: "env_file escaping the manifest folder, and a missing one",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          env_file: ../secrets.env
        b:
          repo: git@github.com:acme/b.git
          env_file: env/missing.env
    `,
    problems: [
      ["services.a.env_file", 4, "must be inside the manifest's folder"],
      ["services.b.env_file", 7, "not found"],
    ],
  },
  {
    name: "env_file lines that are not KEY=VALUE name the line, not the text",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          env_file: a.env
    `,
    files: { "a.env": "# comment\nGOOD=1\nthis is not-an-assignment secret\nQUOTED='unclosed\n" },
    problems: [
      ["services.a.env_file", 4, "line 3: expected KEY=VALUE"],
      ["services.a.env_file", 4, "line 4: expected KEY=VALUE"],
    ],
  },
  {
    name: "bad durations",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          ports: ["3000:3000"]
          health:
            path: /health
            interval: 0s
            timeout: 1 minute
            start_period: -5
    `,
    problems: [
      ["services.api.health.interval", 7, "must be longer than 0"],
      ["services.api.health.timeout", 8, 'expected a duration such as "500ms"'],
      ["services.api.health.start_period", 9, "a duration cannot be negative"],
    ],
  },
  {
    name: "durations past a day (past 2^31-1 ms, timers fire at once)",
    manifest: yaml`
      notify: { webhook: "https://hooks.example.com/x", timeout: 25h }
      services:
        api:
          repo: git@github.com:acme/api.git
          ports: ["3000:3000"]
          health:
            path: /health
            interval: 24h
            timeout: 1000h
            start_period: 86401
    `,
    problems: [
      ["notify.timeout", 1, "must be at most 24h"],
      ["services.api.health.timeout", 9, "must be at most 24h"],
      ["services.api.health.start_period", 10, "must be at most 24h"],
    ],
  },
  {
    name: "bad notify, log size and run count",
    manifest: yaml`
      keep_runs: 0
      log_max_size: lots
      notify: { webhook: "ftp://example.test/x", on: [always] }
      services:
        a: { repo: "git@github.com:acme/a.git" }
    `,
    problems: [
      ["keep_runs", 1, ""],
      ["log_max_size", 2, ""],
      ["notify.on.0", 3, 'must be one of: "failure", "success"'],
      ["notify.webhook", 3, "must be an http(s) URL"],
    ],
  },
  {
    name: "bad memory and cpus",
    manifest: yaml`
      services:
        a: { repo: "git@github.com:acme/a.git", memory: 512 megabytes, cpus: 0 }
        b: { repo: "git@github.com:acme/b.git", memory: -1 }
    `,
    problems: [
      ["services.a.cpus", 2, "must be more than 0"],
      ["services.a.memory", 2, 'expected a size such as "512m"'],
      ["services.b.memory", 3, "must be more than 0"],
    ],
  },
  {
    name: "health: url and path together, path without any port, expect_status out of range",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          ports: ["3000:3000"]
          health: { url: "http://127.0.0.1:3000/health", path: /health }
        b:
          repo: git@github.com:acme/b.git
          health: { path: /health }
        c:
          repo: git@github.com:acme/c.git
          health: { url: "ftp://x", expect_status: 700 }
        d:
          repo: git@github.com:acme/d.git
          health: { docker: true, path: /x }
    `,
    problems: [
      ["services.a.health", 5, "give either url or path, not both"],
      ["services.b.health", 8, "path needs a port: this service publishes no host port"],
      ["services.c.health.expect_status", 11, "must be at most 599"],
      ["services.c.health.url", 11, "expected an http:// or https:// URL"],
      ["services.d.health", 14, "docker: true takes only interval and timeout, not path"],
    ],
  },
  {
    name: "health from defaults without a port names the service",
    manifest: yaml`
      defaults:
        health: { path: /health }
      services:
        api:
          repo: git@github.com:acme/api.git
    `,
    problems: [["defaults.health", 2, "service api: path needs a port"]],
  },
  {
    name: "host and hosts together; repo and depends_on cannot be defaults",
    manifest: yaml`
      defaults:
        repo: git@github.com:acme/x.git
        depends_on: [api]
      services:
        api:
          repo: git@github.com:acme/api.git
          host: local
          hosts: [local]
    `,
    problems: [
      ["defaults.repo", 2, "repo cannot be a default"],
      ["defaults.depends_on", 3, "depends_on cannot be a default"],
      ["services.api.hosts", 8, "give either host or hosts, not both"],
    ],
  },
  {
    name: "a bad ssh target",
    manifest: yaml`
      hosts:
        vps-1: { ssh: "203.0.113.10" }
        vps-2: { ssh: "deploy@203.0.113.11:99999", host_key_policy: trust }
      services:
        api: { repo: "git@github.com:acme/api.git" }
    `,
    problems: [
      ["hosts.vps-1.ssh", 2, 'expected "user@host"'],
      ["hosts.vps-2.host_key_policy", 3, 'must be one of: "strict", "accept-new"'],
      ["hosts.vps-2.ssh", 3, "the ssh port must be between 1 and 65535"],
    ],
  },
  {
    name: "a local repository that does not exist",
    manifest: yaml`
      services:
        api:
          repo: ../api
        web:
          repo: ./web
    `,
    files: { "web/": "" },
    problems: [["services.api.repo", 3, "local repository"]],
  },
  {
    name: "reserved label prefix",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          labels: { io.deploy.service: other }
    `,
    problems: [["services.api.labels.io.deploy.service", 4, "uses the prefix io.deploy."]],
  },
  {
    name: "YAML syntax error",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
         branch: main
    `,
    problems: [["", 4, "YAML syntax"]],
  },
  {
    name: "duplicate keys are a YAML error",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          repo: git@github.com:acme/other.git
    `,
    problems: [["", 4, "YAML syntax: Map keys must be unique"]],
  },
  {
    name: "duplicate keys of a flow map and of a nested map",
    manifest: yaml`
      services:
        api:
          repo: git@github.com:acme/api.git
          labels: { a: "1", b: "2", a: "3" }
          environment:
            X: "1"
            X: "2"
    `,
    problems: [
      ["", 4, "YAML syntax: Map keys must be unique"],
      ["", 7, "YAML syntax: Map keys must be unique"],
    ],
  },
  {
    name: "an alias bomb (9 levels of 10 aliases each)",
    manifest: [
      "a0: &a0 [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 9 },
        (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`,
      ),
      "services: { api: { repo: git@github.com:acme/api.git, labels: *a9 } }",
    ].join("\n"),
    problems: [["", undefined, "YAML aliases expand past the limit of 1000"]],
  },
  {
    name: "an empty document",
    manifest: "# nothing yet\n",
    problems: [["", undefined, "the manifest is empty"]],
  },
  {
    name: "a list instead of a map",
    manifest: "- api\n- web\n",
    problems: [["", undefined, "expected a map of settings"]],
  },
  {
    name: "several problems at once, across schema and rules, sorted by line",
    manifest: yaml`
      version: 1
      hosts:
        vps-1: { ssh: deploy@vps-1, max_builds: 0 }
      services:
        auth-service:
          repo: git@github.com:acme/auth.git
          host: vps-2
          ports: ["3000:3000"]
          environment: { DB_URL: "\${DB_URL}" }
          depends_on: [user-service]
          health:
            path: /health
            timeout: soon
        user-service:
          repo: git@github.com:acme/user.git
          ports: ["3000:3000"]
          depends_on: [auth-service, billing]
          healthcheck: {}
        all:
          repo: git@github.com:acme/all.git
          ports: ["0.0.0.0:3000:3000"]
    `,
    problems: [
      ["hosts.vps-1.max_builds", 3, "must be at least 1"],
      ["services.auth-service.host", 7, 'unknown host "vps-2"'],
      ["services.auth-service.environment.DB_URL", 9, "environment variable DB_URL is not set"],
      [
        "services.auth-service.depends_on.0",
        10,
        "dependency cycle: auth-service -> user-service -> auth-service",
      ],
      ["services.auth-service.health.timeout", 13, "expected a duration"],
      ["services.user-service.depends_on.1", 17, 'unknown service "billing"'],
      [
        "services.user-service.healthcheck",
        18,
        '"healthcheck" is a Docker Compose key that this tool does not support: use health: {docker: true}',
      ],
      ["services.all", 19, '"all" is reserved'],
      [
        "services.all.ports.0",
        21,
        "host port 3000/tcp on host local is also published by service user-service",
      ],
    ],
  },
  {
    name: "repos and refs that git would read as options or run as programs",
    manifest: yaml`
      defaults:
        branch: "--output=/tmp/x"
      services:
        dash:
          repo: "--upload-pac=x@y:;touch marker;"
          branch: main
        helper:
          repo: "ext::sh -c touch% /tmp/marker"
          branch: "a..b"
        from-env:
          repo: \${HOSTILE_REPO}
          branch: \${HOSTILE_REF}
          git_timeout: never
        inherits:
          repo: ftp://example.com/x.git
    `,
    env: { HOSTILE_REPO: "-oProxyCommand=touch /tmp/marker", HOSTILE_REF: "x@{1}" },
    problems: [
      ["defaults.branch", 2, 'must not start with "-"'],
      ["services.dash.repo", 5, 'must not start with "-"'],
      ["services.helper.repo", 8, '"<transport>::<address>" form is not allowed'],
      ["services.helper.branch", 9, 'must not contain ".."'],
      ["services.from-env.repo", 11, 'must not start with "-"'],
      ["services.from-env.branch", 12, 'must not contain "@{"'],
      ["services.from-env.git_timeout", 13, "expected a duration"],
      ["services.inherits.repo", 15, "transport ftp:// is not allowed"],
    ],
  },
  {
    name: "image services: repo and image together, neither, a bad reference, image as a default",
    manifest: yaml`
      defaults:
        image: redis:7
      services:
        both: { repo: git@github.com:acme/a.git, image: redis:7 }
        neither: { ports: ["3000:3000"] }
        bad: { image: "Redis 7" }
    `,
    problems: [
      ["defaults.image", 2, "image cannot be a default"],
      ["services.both.repo", 4, "give either repo (built) or image (pulled), not both"],
      ["services.neither.repo", 5, "is required: give repo (a git repository to build) or image"],
      ["services.bad.image", 6, 'expected an image reference such as "postgres:16"'],
    ],
  },
  {
    name: "image services are not built; pull_policy is for image services only",
    manifest: yaml`
      defaults:
        branch: main
        context: app
        pull_policy: always
      services:
        cache:
          image: redis:7
          branch: release
          build: { dockerfile: Dockerfile }
          pull_policy: sometimes
        api:
          repo: git@github.com:acme/api.git
          pull_policy: missing
    `,
    problems: [
      ["services.cache.branch", 8, "an image service is pulled, not built: branch applies only"],
      ["services.cache.build", 9, "an image service is pulled, not built: build applies only"],
      ["services.cache.pull_policy", 10, 'must be one of: "missing", "always"'],
      ["services.api.pull_policy", 13, "pull_policy applies only to a service with image"],
    ],
  },
  {
    name: "Compose's build: together with the flat keys, with a key it does not take, and context escaping",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          build: { context: api, args: { A: 1 } }
          build_args: { B: 2 }
        b:
          repo: git@github.com:acme/b.git
          build: { context: api, cache_from: [x] }
        c:
          repo: git@github.com:acme/c.git
          build: { args: [NOVALUE] }
        d:
          repo: git@github.com:acme/d.git
          build: ../up
    `,
    problems: [
      ["services.a.build_args", 5, "build_args and build: are two spellings of the build settings"],
      [
        "services.b.build.cache_from",
        8,
        '"cache_from" is a Docker Compose key that this tool does not support under build:',
      ],
      ["services.c.build.args.0", 11, 'expected "KEY=value"'],
      ["services.d.build.context", 14, "must be a folder inside the repository"],
    ],
  },
  {
    name: "depends_on as Compose's map: a bad condition, a Compose key it does not take",
    manifest: yaml`
      services:
        web:
          repo: git@github.com:acme/web.git
          depends_on:
            cache: { condition: service_ready }
        api:
          repo: git@github.com:acme/api.git
          depends_on: { web: { condition: service_healthy, restart: true } }
        cache: { image: redis:7 }
    `,
    problems: [
      ["services.web.depends_on.cache.condition", 5, 'must be one of: "service_healthy"'],
      [
        "services.api.depends_on.web.restart",
        8,
        '"restart" is a Docker Compose key that this tool does not support',
      ],
    ],
  },
  {
    name: "depends_on as Compose's map: an unknown service, completion of a service that is not a job",
    manifest: yaml`
      services:
        web:
          repo: git@github.com:acme/web.git
          depends_on:
            api: { condition: service_completed_successfully }
            migrate: { condition: service_completed_successfully }
            billing: { condition: service_started }
        api: { repo: git@github.com:acme/api.git }
        migrate: { repo: git@github.com:acme/api.git, kind: job }
    `,
    problems: [
      ["services.web.depends_on.api.condition", 5, "api is not a job (kind: job), so it never completes"],
      ["services.web.depends_on.billing", 7, 'unknown service "billing"'],
    ],
  },
  {
    name: "a dependency cycle in the map form points at the map's entry",
    manifest: yaml`
      services:
        a: { repo: git@github.com:acme/a.git, depends_on: { b: { condition: service_started } } }
        b: { repo: git@github.com:acme/b.git, depends_on: [a] }
    `,
    problems: [["services.a.depends_on.b", 2, "dependency cycle: a -> b -> a"]],
  },
  {
    name: "env_file as a list: each entry has its own path; an optional missing file is no problem",
    manifest: yaml`
      services:
        a:
          repo: git@github.com:acme/a.git
          env_file:
            - base.env
            - ../outside.env
            - missing.env
            - { path: optional.env, required: false }
            - { path: bad.env }
    `,
    files: { "base.env": "A=1\n", "bad.env": "not an assignment\n" },
    problems: [
      ["services.a.env_file.1", 6, "must be inside the manifest's folder"],
      ["services.a.env_file.2", 7, "not found"],
      ["services.a.env_file.4.path", 9, "line 1: expected KEY=VALUE"],
    ],
  },
  {
    name: "a job without a probe takes only a timeout",
    manifest: yaml`
      services:
        migrate:
          repo: git@github.com:acme/m.git
          kind: job
          health: { timeout: 20s, interval: 1s }
    `,
    problems: [
      ["services.migrate.health", 5, "a job is gated by its exit code: only timeout applies, not interval"],
    ],
  },
  {
    name: "Docker Compose's keys are named as such, with what to use instead",
    manifest: yaml`
      name: shop
      networks: { front: {} }
      services:
        api:
          repo: git@github.com:acme/api.git
          container_name: api
          deploy: { replicas: 2 }
          expose: ["3000"]
          profiles: [debug]
          privileged: true
    `,
    problems: [
      ["name", 1, '"name" is a Docker Compose key that this tool does not support: use project'],
      ["networks", 2, "networks listed by a service are created when missing"],
      ["services.api.container_name", 6, "containers are named <project>-<service>"],
      ["services.api.deploy", 7, "for limits use memory and cpus"],
      ["services.api.expose", 8, "reach each other on any port by service name"],
      ["services.api.profiles", 9, "select services on the command line"],
      ["services.api.privileged", 10, '"privileged" is a Docker Compose key that this tool does not support'],
    ],
  },
];

describe("manifest problems", () => {
  it.each(cases)("$name", async ({ manifest, files, env, problems }) => {
    const dir = await tempDir({ "services.yaml": manifest, ...files });
    const result = await loadManifest(path.join(dir, "services.yaml"), env ?? {});
    const expected = problems.map(([at, line, message]) => ({
      path: at,
      ...(line === undefined ? {} : { line }),
      message: expect.stringContaining(message),
    }));
    expect(result.ok ? [] : result.problems).toEqual(expected);
  });

  it("never shows the value of an environment variable", async () => {
    const manifest = yaml`
      services:
        api:
          repo: \${REPO}
          host: \${TARGET}
          ports: ["\${PORT}:3000", "\${PORT}:3001"]
          memory: \${MEMORY}
    `;
    const dir = await tempDir({ "services.yaml": manifest });
    const env = { REPO: "./no-such-repo-s3cret", TARGET: "host-s3cret", PORT: "4242", MEMORY: "lots-s3cret" };
    const result = await loadManifest(path.join(dir, "services.yaml"), env);
    const text = result.ok ? "" : result.problems.map(formatProblem).join("\n");
    expect(text).toContain(
      "services.api.repo (line 3): local repository (a value from the environment) not found",
    );
    expect(text).toContain("services.api.host (line 4): unknown host (a value from the environment)");
    expect(text).toContain("services.api.ports.1 (line 5): host port (a value from the environment) on host");
    expect(text).toContain("services.api.memory (line 6): expected a size");
    expect(text).not.toMatch(/s3cret|4242/);
  });

  it("a missing manifest file is one problem for the whole document", async () => {
    const dir = await tempDir();
    const result = await loadManifest(path.join(dir, "nope.yaml"), {});
    expect(result).toEqual({
      ok: false,
      problems: [{ path: "", message: expect.stringContaining("cannot read the manifest") }],
    });
    expect(result.ok || formatProblem(result.problems[0] ?? { path: "", message: "" })).toMatch(
      /^\(document\): /,
    );
  });
});

describe("formatProblem", () => {
  it.each([
    [
      { path: "services.auth-service.health.timeout", line: 31, message: "bad" },
      "services.auth-service.health.timeout (line 31): bad",
    ],
    [{ path: "services", message: "is required" }, "services: is required"],
    [{ path: "", line: 4, message: "YAML syntax: x" }, "(document) (line 4): YAML syntax: x"],
    [{ path: "", message: "cannot read" }, "(document): cannot read"],
  ])("%j", (problem, text) => {
    expect(formatProblem(problem)).toBe(text);
  });
});
