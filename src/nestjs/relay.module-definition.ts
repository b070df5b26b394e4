import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RelayModuleExtras, RelayModuleOptions } from './relay-module-options.js';
import { createRelayController } from './relay.controller.js';

/** Builds `forRoot` / `forRootAsync` and the raw options token (`MODULE_OPTIONS_TOKEN`). */
export const {
  ConfigurableModuleClass: RelayConfigurableModule,
  MODULE_OPTIONS_TOKEN: RELAY_MODULE_OPTIONS,
  OPTIONS_TYPE: RELAY_MODULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: RELAY_MODULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RelayModuleOptions>({ moduleName: 'PersonaRelay' })
  .setClassMethodName('forRoot')
  // `useClass` / `useExisting` providers implement RelayOptionsFactory.
  .setFactoryMethodName('createRelayOptions')
  .setExtras<RelayModuleExtras>({ isGlobal: false, extraProviders: [], routePrefix: 'relay', controller: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [...(definition.providers ?? []), ...(extras.extraProviders ?? [])],
    exports: [...(definition.exports ?? []), ...(extras.extraProviders ?? [])],
    controllers: extras.controller === false ? [] : [createRelayController(extras.routePrefix ?? 'relay')],
  }))
  .build();
