// Every uWSGI option name (uWSGI 2.0 and master, core and plugins: 1304 names), grouped by tsws's answer to it,
// so that no real uWSGI line is called an "unknown key". Generated once from the option table of the uWSGI
// source (the names only), then kept by hand: a name moves to another family when tsws's answer changes.
// 'applies' names are tsws options (options.ts, test/config/uwsgi-names.test.ts checks), 'logic' names are
// the INI reader's blocks (logic.ts); every other family's answer is in compat.ts (FAMILY_ANSWERS).

const FAMILIES = {
  socketTimeout:
    'abstract-socket close-on-exec close-on-exec2 freebind no-defer-accept reuse-port shutdown-sockets ' +
    'so-keepalive so-send-timeout so-write-timeout socket-rcvbuf socket-send-timeout socket-sndbuf ' +
    'socket-timeout socket-write-timeout tcp-fast-open tcp-fast-open-client tcp-fastopen tcp-fastopen-client ' +
    'tcp-nodelay',
  cache:
    'add-cache-item cache cache-blocksize cache-expire-freq cache-no-expire cache-report-freed-items ' +
    'cache-store cache-store-sync cache-sync cache-udp-node cache-udp-server cache-use-last-modified cache2 ' +
    'check-cache load-file-in-cache load-file-in-cache-gzip queue queue-blocksize queue-store ' +
    'queue-store-sync rpc-max sharedarea',
  addGid: 'add-gid no-initgroups',
  addHeader:
    'add-header collect-header del-header error-page-403 error-page-404 error-page-500 pull-header rem-header ' +
    'response-header-collect response-headers-limit',
  hooks:
    'after-request-call after-request-hook binsh call-as-root call-as-user call-as-user-atexit call-asap ' +
    'call-in-jail call-post-app call-post-jail call-pre-app call-pre-jail check-mount check-mountpoint ' +
    'exec-as-root exec-as-user exec-as-user-atexit exec-asap exec-in-jail exec-post-app exec-post-jail ' +
    'exec-pre-app exec-pre-jail hook-accepting hook-accepting-once hook-accepting1 hook-accepting1-once ' +
    'hook-as-emperor hook-as-emperor-before-vassal hook-as-emperor-setns hook-as-gateway hook-as-mule ' +
    'hook-as-on-config-vassal hook-as-on-demand-vassal hook-as-root hook-as-user hook-as-user-atexit ' +
    'hook-as-vassal hook-as-vassal-before-drop hook-asap hook-emperor-lost hook-emperor-reload ' +
    'hook-emperor-start hook-emperor-stop hook-in-jail hook-master-start hook-post-app hook-post-fork ' +
    'hook-post-jail hook-pre-app hook-pre-jail hook-touch mount-as-root mount-asap mount-check mount-in-jail ' +
    'mount-post-jail mount-pre-jail mountpoint-check umount-as-root umount-asap umount-in-jail ' +
    'umount-post-jail umount-pre-jail wait-for-dir wait-for-file wait-for-fs wait-for-fs-timeout ' +
    'wait-for-iface wait-for-iface-timeout wait-for-interface wait-for-interface-timeout wait-for-mountpoint ' +
    'wait-for-socket wait-for-socket-timeout wait-iface wait-iface-timeout wait-interface ' +
    'wait-interface-timeout',
  alarm:
    'alarm alarm-backlog alarm-cheap alarm-fd alarm-freq alarm-list alarm-listen-queue alarm-log alarm-lq ' +
    'alarm-metric alarm-msg-size alarm-segfault alarms-list backlog-alarm listen-queue-alarm log-alarm ' +
    'lq-alarm not-alarm-log not-log-alarm segfault-alarm',
  protocols:
    'allowed-modifiers fastcgi-modifier1 fastcgi-modifier2 fastcgi-nph-socket fastcgi-socket fastrouter ' +
    'fastrouter-buffer-size fastrouter-cheap fastrouter-defer-connect-timeout fastrouter-emperor-socket ' +
    'fastrouter-events fastrouter-fallback fastrouter-fallback-on-no-key fastrouter-force-key fastrouter-gid ' +
    'fastrouter-gracetime fastrouter-harakiri fastrouter-max-retries fastrouter-post-buffering ' +
    'fastrouter-post-buffering-dir fastrouter-processes fastrouter-quiet fastrouter-resubscribe ' +
    'fastrouter-resubscribe-bind fastrouter-ss fastrouter-stats fastrouter-stats-server ' +
    'fastrouter-subscription-fallback-key fastrouter-subscription-server fastrouter-subscription-slot ' +
    'fastrouter-timeout fastrouter-to fastrouter-uid fastrouter-use-base fastrouter-use-cache ' +
    'fastrouter-use-code-string fastrouter-use-pattern fastrouter-use-socket fastrouter-workers ' +
    'fastrouter-zerg forkpty-router forkpty-router-cmd forkpty-router-command forkpty-urouter forkptyrouter ' +
    'forkptyrouter-cheap forkptyrouter-cmd forkptyrouter-cols forkptyrouter-command forkptyrouter-events ' +
    'forkptyrouter-fallback forkptyrouter-harakiri forkptyrouter-processes forkptyrouter-rows ' +
    'forkptyrouter-ss forkptyrouter-stats forkptyrouter-stats-server forkptyrouter-timeout ' +
    'forkptyrouter-workers forkptyrouter-zerg forkptyurouter httprouter map-socket mongrel2 multicast ' +
    'multicast-loop multicast-ttl protocol pty-connect pty-exec pty-input pty-log pty-no-isig pty-socket ' +
    'pty-uconnect pump puwsgi-socket raw-modifier1 raw-modifier2 raw-socket rawrouter rawrouter-buffer-size ' +
    'rawrouter-cheap rawrouter-events rawrouter-fallback rawrouter-gracetime rawrouter-harakiri ' +
    'rawrouter-max-retries rawrouter-processes rawrouter-quiet rawrouter-ss rawrouter-stats ' +
    'rawrouter-stats-server rawrouter-subscription-server rawrouter-subscription-slot rawrouter-timeout ' +
    'rawrouter-to rawrouter-use-base rawrouter-use-cache rawrouter-use-code-string rawrouter-use-pattern ' +
    'rawrouter-use-socket rawrouter-workers rawrouter-xclient rawrouter-zerg router-list routers-list ' +
    'scgi-modifier1 scgi-modifier2 scgi-nph-socket scgi-socket shared-socket socket socket-protocol ' +
    'ssl-socket sslrouter sslrouter-buffer-size sslrouter-cheap sslrouter-events sslrouter-fallback ' +
    'sslrouter-gracetime sslrouter-harakiri sslrouter-max-retries sslrouter-processes sslrouter-quiet ' +
    'sslrouter-session-context sslrouter-sni sslrouter-ss sslrouter-stats sslrouter-stats-server ' +
    'sslrouter-subscription-server sslrouter-timeout sslrouter-to sslrouter-use-base sslrouter-use-cache ' +
    'sslrouter-use-code-string sslrouter-use-pattern sslrouter-use-socket sslrouter-workers sslrouter-zerg ' +
    'sslrouter2 suwsgi-socket tuntap-device tuntap-device-rule tuntap-router tuntap-router-firewall-in ' +
    'tuntap-router-firewall-out tuntap-router-route tuntap-router-stats tuntap-use-credentials udp ' +
    'undeferred-shared-socket zerg zerg-fallback zerg-server zeromq zeromq-socket zmq zmq-socket',
  loop:
    'async coroae dumbloop-code dumbloop-function dumbloop-modifier1 fiber ftok goroutines lock-engine locks ' +
    'loop loop-list loops-list no-threads-wait rbthread rbthreads thread-stack-size thread-stacksize ' +
    'threads-stack-size threads-stacksize thunder-lock thunder-lock-watchdog ugreen ugreen-stacksize',
  python:
    'asyncio callable early-pyimport early-python early-python-import early-python-path early-pythonpath ' +
    'enable-threads eval exception-handler file gevent gevent-early-monkey-patch gevent-monkey-patch ' +
    'gevent-wait-for-hub greenlet home ignore-script-name import ini-paste ini-paste-logged ' +
    'manage-script-name mount no-site optimize paste paste-logger paste-name pecan post-pymodule-alias pp py ' +
    'py-auto-reload py-auto-reload-ignore py-autoreload py-call-osafterfork py-call-uwsgi-fork-hooks ' +
    'py-executable py-import py-master-check-signals py-program-name py-programname py-sharedarea ' +
    'py-sys-executable py-tracebacker pyargv pyhome pyimport pymodule-alias pypy-eval pypy-eval-post-fork ' +
    'pypy-exec pypy-exec-post-fork pypy-home pypy-ini-paste pypy-lib pypy-paste pypy-pp pypy-python-path ' +
    'pypy-pythonpath pypy-setup pypy-wsgi pypy-wsgi-file pyrun pyshell pyshell-oneshot python ' +
    'python-auto-reload python-autoreload python-import python-path python-raw python-version ' +
    'python-worker-override pythonpath reload-on-exception reload-on-exception-repr reload-on-exception-type ' +
    'reload-on-exception-value shared-py-import shared-pyimport shared-python-import single-interpreter ' +
    'spooler-python-import stackless start_response-nodelay tornado uwsgi-socket venv virtualenv web3 ' +
    'worker-mount wsgi wsgi-accept-buffer wsgi-accept-buffers wsgi-disable-file-wrapper wsgi-env-behavior ' +
    'wsgi-env-behaviour wsgi-file wsgi-lite wsgi-manage-chunked-input wsgi-strict',
  daemons:
    'attach-control-daemon attach-daemon attach-daemon2 daemons-honour-stdin smart-attach-daemon ' +
    'smart-attach-daemon2',
  procname: 'auto-procname procname procname-append procname-master procname-prefix procname-prefix-spaced',
  emperor:
    'auto-weight blacklist call-as-emperor call-as-emperor1 call-as-emperor2 call-as-emperor4 call-as-vassal ' +
    'call-as-vassal1 call-as-vassal3 early-emperor emperor emperor-broodlord emperor-cap emperor-chdir-attr ' +
    'emperor-collect-attr emperor-collect-attribute emperor-command-socket emperor-curse-tolerance ' +
    'emperor-extra-ext emperor-extra-extension emperor-fork-server-attr emperor-freq ' +
    'emperor-graceful-shutdown emperor-magic-exec emperor-max-throttle emperor-no-blacklist emperor-nofollow ' +
    'emperor-on-demand-dir emperor-on-demand-directory emperor-on-demand-exec emperor-on-demand-ext ' +
    'emperor-on-demand-extension emperor-pidfile emperor-procname emperor-proxy-socket ' +
    'emperor-required-heartbeat emperor-stats emperor-stats-server emperor-subreaper emperor-throttle ' +
    'emperor-trigger-socket emperor-tyrant emperor-tyrant-initgroups emperor-tyrant-nofollow ' +
    'emperor-use-clone emperor-use-fork-server emperor-wait-for-command emperor-wait-for-command-ignore ' +
    'emperor-wrapper emperor-wrapper-attr emperor-wrapper-fallback emperor-wrapper-override end-blacklist ' +
    'end-whitelist exec-as-emperor exec-as-vassal heartbeat imperial-monitor-list imperial-monitors-list ' +
    'mount-as-emperor mount-as-vassal propagate-touch umount-as-emperor umount-as-vassal vassal-cap ' +
    'vassal-fork-base vassal-set vassal-sos vassal-sos-backlog vassals-cap vassals-include ' +
    'vassals-include-before vassals-inherit vassals-inherit-before vassals-set vassals-start-hook ' +
    'vassals-stop-hook weight whitelist',
  plugins:
    'autoload build-plugin cflags dlopen dot-h need-plugin need-plugins plugin plugin-dir plugin-list plugins ' +
    'plugins-dir plugins-list print-sym print-symbol symcall symcall-post-fork symcall-register-rpc ' +
    'symcall-use-next',
  skip:
    'backtrace-depth binary-append-data binary-path check-interval clock clock-list clocks-list ' +
    'disable-async-warn-on-queue-full fd-safe force-cwd forkbomb-delay max-vars mode no-fd-passing pcre-jit ' +
    'persistent-ipcsem post-buffering-bufsize safe-fd skip-atexit skip-atexit-teardown skip-zero st ' +
    'start-unsubscribed use-abort',
  chunked:
    'body-read-warning chunked-input-limit chunked-input-timeout http-chunked-input http-manage-expect ' +
    'http-raw-body',
  reloadFd:
    'brutal-reload-on-fd fs-brutal-reload fs-reload fs-signal reload-on-fd touch-exec touch-mules-reload ' +
    'touch-signal touch-spoolers-reload',
  applies:
    'buffer-size chdir chmod chmod-socket chown-socket daemonize die-on-term disable-logging env ' +
    'evil-reload-on-as evil-reload-on-rss gid harakiri harakiri-verbose http http-headers-timeout ' +
    'http-keepalive http-socket http-timeout http11-socket include ini limit-as limit-post listen log-4xx ' +
    'log-5xx log-big log-encoder log-format log-slow log-zero logformat logger-req logto master master-fifo max-fd max-requests ' +
    'max-requests-delta max-worker-lifetime max-worker-lifetime-delta min-worker-lifetime module need-app ' +
    'pidfile pidfile2 post-buffering processes reload-on-as reload-on-rss req-logger set-ph set-placeholder stats stats-http ' +
    'stats-server strict threads touch-chain-reload touch-reload touch-workers-reload uid umask vacuum ' +
    'worker-reload-mercy workers',
  isolation:
    'cap cgroup cgroup-dir-mode cgroup-opt chroot jail jail-attach jail-ip4 jail-ip6 jail2 jailed jid-file ' +
    'jidfile libjail namespace namespace-keep-mount namespace-net ns ns-net pivot-root pivot_root refork ' +
    'refork-as-root refork-post-jail setns setns-preopen setns-skip setns-socket setns-socket-skip unshare ' +
    'unshare2',
  statsPush:
    'carbon carbon-freq carbon-hostname-dots carbon-id carbon-idle-avg carbon-max-retry carbon-name-resolve ' +
    'carbon-no-workers carbon-resolve-names carbon-retry-delay carbon-root carbon-timeout carbon-use-metrics ' +
    'enable-metrics metric metric-alarm metric-dir metric-dir-restore metric-threshold metrics-dir ' +
    'metrics-dir-restore metrics-no-cores nagios rrdtool rrdtool-freq rrdtool-lib snmp snmp-community ' +
    'stats-push stats-pusher-default-freq stats-pushers-default-freq statsd-all-gauges statsd-no-workers ' +
    'zabbix-template',
  oneApp: 'catch-exceptions dynamic-apps max-apps no-default-app vhost vhost-host',
  lang:
    'cgi cgi-allowed-ext cgi-async-max-attempts cgi-buffer-size cgi-close-stdin-on-eof ' +
    'cgi-do-not-kill-on-error cgi-dontresolve cgi-from-docroot cgi-helper cgi-index cgi-loadlib ' +
    'cgi-map-helper cgi-mode cgi-optimize cgi-optimized cgi-path-info cgi-safe cgi-timeout cgi-unset ' +
    'clojure-load curl-cron curl-cron-legion early-perl early-perl-exec early-php early-php-sapi-name ' +
    'early-psgi gccgo-args gccgo-load gemset geoip-city geoip-country geoip-use-disk glusterfs-mount ' +
    'glusterfs-timeout go-args go-load js jvm-class jvm-classpath jvm-main-class jvm-opt jwsgi lua ' +
    'lua-gc-freq lua-gc-full lua-load lua-postfork-mule lua-postfork-spooler lua-postfork-worker lua-postload ' +
    'lua-shell lua-shell-oneshot luashell luashell-oneshot mono-app mono-assembly mono-config mono-exec ' +
    'mono-gc-freq mono-index mono-key mono-version pam pam-user perl-arg perl-args perl-auto-reload ' +
    'perl-auto-reload-ignore perl-exec perl-exec-post-fork perl-local-lib perl-no-die-catch perl-no-plack ' +
    'perl-version php-allowed-docroot php-allowed-ext php-allowed-script php-app php-app-bypass php-app-qs ' +
    'php-config php-config-append php-constant php-docroot php-dump-config php-exec-after php-exec-before ' +
    'php-exec-begin php-exec-end php-fallback php-fallback-qs php-fallback2 php-index php-ini php-ini-append ' +
    'php-mount php-sapi-name php-server-software php-set php-var plshell plshell-oneshot profiler psgi ' +
    'psgi-enable-psgix-io rack rados-mount rados-timeout rails rb-gc-freq rb-lib rb-require rb-thread ' +
    'rb-threads rbrequire rbshell rbshell-oneshot rbtimer require ring-app ring-load ruby-gc-freq ruby-lib ' +
    'ruby-require rubyrequire rvm rvm-path shared-import shared-rb-require shared-rbrequire shared-require ' +
    'shared-ruby-require shared-rubyrequire xslt-content-type xslt-docroot xslt-ext xslt-stylesheet xslt-var ' +
    'zeus',
  'chdir2': 'chdir2',
  idle: 'cheap idle',
  cheaper:
    'cheaper cheaper-algo cheaper-algo-list cheaper-algos-list cheaper-busyness-backlog-alert ' +
    'cheaper-busyness-backlog-multiplier cheaper-busyness-backlog-nonzero cheaper-busyness-backlog-step ' +
    'cheaper-busyness-max cheaper-busyness-min cheaper-busyness-multiplier cheaper-busyness-penalty ' +
    'cheaper-busyness-verbose cheaper-idle cheaper-initial cheaper-list cheaper-overload ' +
    'cheaper-rss-limit-hard cheaper-rss-limit-soft cheaper-step',
  static:
    'check-static check-static-docroot fallback-config file-serve-mode fileserve-mode honour-range mime-file ' +
    'mimefile static-cache-paths static-cache-paths-name static-check static-expires static-expires-mtime ' +
    'static-expires-path-info static-expires-path-info-mtime static-expires-type static-expires-type-mtime ' +
    'static-expires-uri static-expires-uri-mtime static-gzip static-gzip-all static-gzip-dir static-gzip-ext ' +
    'static-gzip-prefix static-gzip-suffix static-index static-map static-map2 static-safe static-skip-ext',
  action:
    'command-mode connect-and-read dump-options exit extract help iprint pause print reload resume ' +
    'show-config stop suspend test usage version',
  otherConfig:
    'config config-py declare-option declare-option2 get inherit inject-after inject-before json ldap ' +
    'ldap-schema ldap-schema-ldif resolve set sqlite sqlite3 xml xmlconfig yaml yml',
  limits: 'cpu-affinity ksm limit-nproc never-swap prio',
  unique: 'cron cron2 legion-cron unique-cron unique-legion-cron',
  signals:
    'cron-curl cron-curl-legion cron-harakiri cron-legion signal signal-bufsize signal-rbtimer signal-timer ' +
    'signals-bufsize timer unique-cron-legion',
  after:
    'daemonize2 drop-after-apps drop-after-init immediate-gid immediate-uid master-as-root ' +
    'safe-pidfile safe-pidfile2',
  dieOn: 'die-on-idle die-on-no-workers',
  offload: 'disable-sendfile offload-thread offload-threads',
  noPipe:
    'disable-write-exception ignore-sigpipe ignore-write-errors write-errors-exception-only ' +
    'write-errors-tolerance',
  env: 'early-envdir envdir ienv reload-os-env unenv',
  logic:
    'else end-for end-if endfor endif for for-glob for-readline for-times if-dir if-directory if-env ' +
    'if-exists if-file if-hostname if-hostname-match if-not-dir if-not-env if-not-exists if-not-file ' +
    'if-not-hostname if-not-hostname-match if-not-opt if-not-plugin if-opt if-plugin ifdir ifenv ifexists ' +
    'ifplugin',
  proxyProtocol: 'enable-proxy-protocol http-enable-proxy-protocol',
  routing:
    'error-route error-route-host error-route-if error-route-if-not error-route-label error-route-qs ' +
    'error-route-referer error-route-remote-addr error-route-remote-user error-route-run error-route-status ' +
    'error-route-uri error-route-user-agent final-route final-route-host final-route-if final-route-if-not ' +
    'final-route-label final-route-qs final-route-referer final-route-remote-addr final-route-remote-user ' +
    'final-route-run final-route-status final-route-uri final-route-user-agent response-route ' +
    'response-route-host response-route-if response-route-if-not response-route-label response-route-qs ' +
    'response-route-referer response-route-remote-addr response-route-remote-user response-route-run ' +
    'response-route-status response-route-uri response-route-user-agent route route-host route-if ' +
    'route-if-not route-label route-qs route-referer route-remote-addr route-remote-user route-run route-uri ' +
    'route-user-agent',
  exitOnReload: 'exit-on-reload',
  mules: 'farm mule mule-harakiri mule-msg-recv-size mule-msg-size mule-reload-mercy mules',
  sendfile: 'file-write',
  flock: 'flock flock-wait flock-wait2 flock2',
  routerProcs:
    'force-gateway http-backend-http http-buffer-size http-cheap http-connect-timeout http-events ' +
    'http-fallback http-gid http-gracetime http-harakiri http-manage-rtsp http-manage-source http-modifier1 ' +
    'http-modifier2 http-path-info-no-decode-slashes http-post-buffering http-post-buffering-dir ' +
    'http-processes http-quiet http-resubscribe http-server-name-as-http-host http-socket-modifier1 ' +
    'http-socket-modifier2 http-ss http-stats http-stats-server http-stud-prefix ' +
    'http-subscription-fallback-key http-subscription-server http-to http-uid http-use-base http-use-cache ' +
    'http-use-code-string http-use-pattern http-use-socket http-var http-workers http-zerg remap-modifier',
  privileged:
    'fork-server fork-socket privileged-binary-patch privileged-binary-patch-arg re-fork re-fork-as-root ' +
    're-fork-post-jail unprivileged-binary-patch unprivileged-binary-patch-arg worker-exec worker-exec2',
  harakiriGraceful:
    'harakiri-graceful-signal harakiri-graceful-timeout harakiri-no-arh harakiri-queue-threshold ' +
    'no-harakiri-after-req-hook no-harakiri-arh',
  stdin: 'honour-stdin',
  httpGzip: 'http-auto-chunked http-auto-gzip',
  httpToHttps: 'http-to-https',
  websocket:
    'http-websockets websocket-max-size websocket-ping-freq websocket-pong-tolerance websockets-max-size ' +
    'websockets-ping-freq websockets-pong-tolerance',
  tls:
    'https https-export-cert https-session-context https-socket https-socket-modifier1 https-socket-modifier2 ' +
    'https2 sni sni-dir sni-dir-ciphers sni-regexp ssl-enable-sslv3 ssl-enable-tlsv1 ssl-enable3 ssl-option ' +
    'ssl-session-timeout ssl-session-use-cache ssl-sessions-timeout ssl-sessions-use-cache ssl-tmp-dir ' +
    'ssl-verbose ssl-verify-depth',
  reloadLogic: 'if-not-reload if-reload',
  lazy: 'lazy lazy-apps',
  legion:
    'legion legion-attach-daemon legion-cron-curl legion-curl-cron legion-death legion-death-on-lord-error ' +
    'legion-freq legion-join legion-lord legion-mcast legion-node legion-node-joined legion-node-left ' +
    'legion-quorum legion-scroll legion-scroll-list-max-size legion-scroll-max-size legion-setup ' +
    'legion-skew-tolerance legion-smart-attach-daemon legion-smart-attach-daemon2 legion-tolerance ' +
    'legion-unlord',
  logRotate: 'log-backupname log-maxsize log-reopen touch-logreopen touch-logrotate',
  logDate:
    'log-date log-format-strftime log-master log-master-bufsize log-master-req-stream log-master-stream ' +
    'log-micros log-truncate log-x-forwarded-for logdate logfile-chmod logformat-strftime threaded-logger',
  loggers:
    'log-drain log-filter log-prefix log-req-encoder log-req-route log-route log-socket ' +
    'log-syslog log-zeromq logger logger-list loggers-list logto2 notfound-log ' +
    'rsyslog-packet-size rsyslog-split-messages worker-log-encoder worker-log-req-encoder worker-logger ' +
    'worker-logger-req',
  logIoerror: 'log-ioerror',
  logSendfile: 'log-sendfile',
  logChown: 'logfile-chown',
  memoryReport: 'mem-collector-freq memory-report',
  orphans: 'no-orphans reaper',
  noServer: 'no-server',
  notify: 'notify-socket',
  ping: 'ping ping-timeout',
  reloadMercy: 'reload-mercy',
  reloadPss: 'reload-on-pss reload-on-uss',
  spooler:
    'spooler spooler-chdir spooler-cheap spooler-external spooler-freq spooler-frequency spooler-harakiri ' +
    'spooler-import spooler-max-tasks spooler-ordered spooler-processes spooler-py-import spooler-pyimport ' +
    'spooler-quiet spooler-signal-as-task',
  stats: 'stats-min stats-minified stats-no-cores stats-no-metrics',
  subscription:
    'subscribe subscribe-freq subscribe-to subscribe-with-modifier1 subscribe2 subscription-algo ' +
    'subscription-clear-on-shutdown subscription-dotsplit subscription-mountpoint subscription-mountpoints ' +
    'subscription-notify-socket subscription-tolerance subscription-tolerance-inactive ' +
    'subscription-vassal-required subscriptions-credentials-check subscriptions-sign-check ' +
    'subscriptions-sign-check-tolerance subscriptions-sign-skip-uid subscriptions-use-credentials ' +
    'unsubscribe-on-graceful-reload',
  upload: 'upload-progress',
} as const;

export type UwsgiFamily = keyof typeof FAMILIES;

/** Name → family, built once; underscores folded as tsws folds them in keys. */
const BY_NAME = new Map<string, UwsgiFamily>();
for (const [family, names] of Object.entries(FAMILIES) as [UwsgiFamily, string][]) {
  for (const name of names.split(' ')) BY_NAME.set(name.replace(/_/g, '-'), family);
}

/** The family of a real uWSGI option name (normalized: dashes), or undefined when uWSGI has no such option. */
export function uwsgiFamily(name: string): UwsgiFamily | undefined {
  return BY_NAME.get(name);
}

/** Every real uWSGI option name, for the tests. */
export function uwsgiNames(): string[] {
  return [...BY_NAME.keys()];
}
