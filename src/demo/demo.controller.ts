import { Controller, Get, Header, HttpCode, Inject } from '@nestjs/common';
import { CLIENT_SCRIPT } from './page/client-script.js';
import { renderIndexPage, type PersonaDescription } from './page/html.js';
import { STYLES } from './page/styles.js';
import type { DemoVerification } from './settings.js';

/** Injection token of the {@link DemoPage} settings. */
export const DEMO_PAGE = Symbol('persona-relay-demo:page');

/** What the page needs to know about the server's setup. None of it is secret. */
export interface DemoPage {
  /** The claim type of new sessions (the module's default) and of `/restricted`. */
  readonly claimType: string;
  readonly persona: PersonaDescription;
  readonly verification: DemoVerification;
}

/** Answer of `GET /demo/config`: how the page should show the verification. */
export interface DemoConfigBody {
  readonly claimType: string;
  readonly verification: DemoVerification;
}

/** Serves the page, its script and styles, and the page's configuration. */
@Controller()
export class DemoController {
  private readonly indexHtml: string;

  constructor(@Inject(DEMO_PAGE) private readonly page: DemoPage) {
    this.indexHtml = renderIndexPage({ claimType: page.claimType, persona: page.persona });
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  index(): string {
    return this.indexHtml;
  }

  @Get('demo/app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return CLIENT_SCRIPT;
  }

  @Get('demo/styles.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  styles(): string {
    return STYLES;
  }

  /** The widget script URL comes from here rather than from the HTML, as it would from any app's API. */
  @Get('demo/config')
  @Header('Cache-Control', 'no-store')
  config(): DemoConfigBody {
    return { claimType: this.page.claimType, verification: this.page.verification };
  }

  /** Browsers ask for it on every page; an empty answer keeps 404s out of the console. */
  @Get('favicon.ico')
  @HttpCode(204)
  favicon(): void {}
}
