// NestJS 11 (on its default platform, Express) as its getting-started page writes it: an AppModule with a
// controller and a service, NestFactory.create(AppModule), app.enableShutdownHooks(), await app.listen(port)
// in bootstrap(). CommonJS, as Nest's own build of main.ts is. The tests have no decorator transpiler, so each
// decorator is applied by hand with the arguments TypeScript would pass it (what `@Get('who')` on a method
// compiles to); constructor injection names its token with Inject() since there is no emitted
// design:paramtypes metadata to read it from.
const { Controller, Get, Injectable, Inject, Module, Param, Req } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { who, markSigterm, port } = require('./common.cjs');

class AppService {
  who(req) {
    return who(req.ip, req.headers);
  }

  // Nest calls this after its HTTP server has closed, on the signal enableShutdownHooks() listens to: the
  // mark is the test's proof that Nest's own shutdown ran when tsws stopped this worker.
  onApplicationShutdown(signal) {
    markSigterm(`nest: onApplicationShutdown(${signal})`);
  }
}
Injectable()(AppService);

class AppController {
  constructor(appService) {
    this.appService = appService;
  }

  who(req) {
    return this.appService.who(req);
  }

  async sleep(ms) {
    await new Promise((r) => setTimeout(r, Number(ms)));
    return String(process.pid);
  }
}
/** `@Verb(path)` on a method, as TypeScript applies it: (prototype, name, descriptor). */
const route = (decorator, name) => {
  const proto = AppController.prototype;
  decorator(proto, name, Object.getOwnPropertyDescriptor(proto, name));
};
Inject(AppService)(AppController, undefined, 0); // constructor(private readonly appService: AppService)
Req()(AppController.prototype, 'who', 0); // who(@Req() req)
route(Get('who'), 'who');
Param('ms')(AppController.prototype, 'sleep', 0); // sleep(@Param('ms') ms)
route(Get('sleep/:ms'), 'sleep');
Controller()(AppController);

class AppModule {}
Module({ controllers: [AppController], providers: [AppService] })(AppModule);

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(port); // the getting-started page's process.env.PORT ?? 3000; common.cjs reads APP_PORT
}
bootstrap();
