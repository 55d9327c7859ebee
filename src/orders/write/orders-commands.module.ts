import { Module } from '@nestjs/common';
import { OrderCommandRunner } from './order-command.runner';
import { OrdersCommandsController } from './orders-commands.controller';
import { SupportCasesCommandsController } from './support-cases-commands.controller';

/** The command routes (APP_ROLE api | all); the write path itself is OrderWriteModule's. */
@Module({
  controllers: [OrdersCommandsController, SupportCasesCommandsController],
  providers: [OrderCommandRunner],
})
export class OrdersCommandsModule {}
